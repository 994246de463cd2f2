package dev.anvil.client;

import java.util.Optional;

/**
 * Reads {@code text/event-stream} line by line (the HTML living standard's rules, the parts Anvil
 * uses): {@code event:} and {@code data:} fields, comments, and a blank line that ends an event.
 */
final class ServerSentEvents {

  record Event(String type, String data) {}

  private String type;
  private StringBuilder data;

  /** Feeds one line; returns the event that a blank line completes. Heartbeats (no data) are not events. */
  Optional<Event> accept(String line) {
    if (line.isEmpty()) {
      Optional<Event> event = data == null ? Optional.empty()
          : Optional.of(new Event(type == null ? "message" : type, data.toString()));
      type = null;
      data = null;
      return event;
    }
    if (line.startsWith(":")) {
      return Optional.empty(); // a comment
    }
    int colon = line.indexOf(':');
    String field = colon < 0 ? line : line.substring(0, colon);
    String value = colon < 0 ? "" : line.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    switch (field) {
      case "event" -> type = value;
      case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
      default -> { } // id, retry: not used by Anvil
    }
    return Optional.empty();
  }
}
