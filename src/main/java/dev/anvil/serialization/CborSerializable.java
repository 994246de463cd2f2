package dev.anvil.serialization;

/**
 * Marker for every message that may cross nodes; bound to {@code jackson-cbor} in
 * {@code application.conf}, so nothing falls back to Java serialization.
 */
public interface CborSerializable {}
