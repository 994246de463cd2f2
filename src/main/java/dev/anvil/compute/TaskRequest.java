package dev.anvil.compute;

import dev.anvil.CborSerializable;

/**
 * One task as it travels from the router that took it to the pool that runs it. The deadline
 * travels as time left, so nodes need no shared clock.
 *
 * @param input the request body, already checked by the receiving node
 */
public record TaskRequest(String taskId, String kind, byte[] input, long remainingMs, String receivedBy)
    implements CborSerializable {}
