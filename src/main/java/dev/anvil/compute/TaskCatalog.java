package dev.anvil.compute;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DatabindException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.spi.InvalidInputException;
import dev.anvil.compute.spi.TaskContext;
import java.io.IOException;
import java.util.Collection;
import java.util.Collections;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The kinds this node can run, found with {@link ServiceLoader}, and the one place where task
 * input is read from JSON, checked, and results written back to JSON. Immutable and shared.
 */
public final class TaskCatalog {

  private static final Pattern KIND_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

  private final TreeMap<String, ComputeTask<?, ?>> kinds;
  private final ObjectMapper mapper;

  private TaskCatalog(TreeMap<String, ComputeTask<?, ?>> kinds, ObjectMapper mapper) {
    this.kinds = kinds;
    this.mapper = mapper;
  }

  /**
   * Every kind on the class path of {@code loader}. Two kinds with one name stop the node.
   * Makes {@code mapper} strict about types and text (see {@link StrictJson}).
   */
  public static TaskCatalog load(ObjectMapper mapper, ClassLoader loader) {
    StrictJson.configure(mapper);
    @SuppressWarnings({"rawtypes", "unchecked"})
    ServiceLoader<ComputeTask<?, ?>> found = (ServiceLoader) ServiceLoader.load(ComputeTask.class, loader);
    return of(mapper, found.stream().map(ServiceLoader.Provider::get).toList());
  }

  public static TaskCatalog of(ObjectMapper mapper, Collection<? extends ComputeTask<?, ?>> tasks) {
    TreeMap<String, ComputeTask<?, ?>> byKind = new TreeMap<>();
    for (ComputeTask<?, ?> task : tasks) {
      if (!KIND_NAME.matcher(task.kind()).matches()) {
        throw new IllegalStateException("kind name '" + task.kind() + "' of " + task.getClass().getName()
            + " must match " + KIND_NAME.pattern());
      }
      ComputeTask<?, ?> previous = byKind.putIfAbsent(task.kind(), task);
      if (previous != null) {
        throw new IllegalStateException("kind '" + task.kind() + "' is defined twice: by "
            + previous.getClass().getName() + " and " + task.getClass().getName());
      }
    }
    return new TaskCatalog(byKind, mapper);
  }

  public Optional<ComputeTask<?, ?>> find(String kind) {
    return Optional.ofNullable(kinds.get(kind));
  }

  public Collection<ComputeTask<?, ?>> all() {
    return Collections.unmodifiableCollection(kinds.values());
  }

  public ObjectMapper mapper() {
    return mapper;
  }

  /**
   * Reads {@code json} as the input of {@code task} and checks it.
   *
   * @throws InvalidInputException naming the field at fault
   */
  public <I> I readInput(ComputeTask<I, ?> task, byte[] json) {
    I input;
    try {
      input = mapper.readerFor(task.inputType()).readValue(json);
    } catch (IOException e) {
      throw describe(e);
    }
    if (input == null) {
      throw new InvalidInputException("", "the body must be a JSON object, was null");
    }
    task.validate(input);
    return input;
  }

  /**
   * Runs one task and writes its result as JSON. For workers: {@code input} is the task's
   * input as read by the node that received it, or null to read {@code json} here.
   */
  public byte[] run(ComputeTask<?, ?> task, Object input, byte[] json, TaskContext context) throws Exception {
    return mapper.writeValueAsBytes(runTyped(task, input != null ? input : readInput(task, json), context));
  }

  @SuppressWarnings("unchecked")
  private static <I, O> O runTyped(ComputeTask<I, O> task, Object input, TaskContext context) throws Exception {
    return task.run((I) input, context);
  }

  /** Turns what Jackson says into a message a client can act on, naming the field. */
  static InvalidInputException describe(IOException e) {
    if (e instanceof StreamConstraintsException) {
      return new InvalidInputException("", "the body breaks a JSON limit: " + firstLine(e.getMessage()));
    }
    if (e instanceof StreamReadException && e.getMessage() != null && e.getMessage().startsWith("Duplicate field '")) {
      String name = e.getMessage().substring("Duplicate field '".length());
      name = name.substring(0, Math.max(0, name.indexOf('\'')));
      return new InvalidInputException(name, "the field '" + abbreviate(name) + "' is given twice; give it once");
    }
    if (e instanceof StreamReadException) {
      return new InvalidInputException("", "malformed JSON: " + firstLine(((JsonProcessingException) e).getOriginalMessage()));
    }
    if (e instanceof DatabindException d) {
      String field = path((JsonMappingException) d);
      if (e instanceof UnrecognizedPropertyException u) {
        return new InvalidInputException(field, "unknown field '" + u.getPropertyName() + "'; known fields: "
            + u.getKnownPropertyIds());
      }
      if (e instanceof ValueInstantiationException && e.getCause() instanceof InvalidInputException invalid) {
        return invalid;
      }
      if (e instanceof InvalidFormatException f && f.getValue() instanceof String text
          && StrictJson.firstLoneSurrogate(text) >= 0) {
        return new InvalidInputException(field, fieldName(field) + " is not valid Unicode text: it holds a lone"
            + " UTF-16 surrogate (\\u" + Integer.toHexString(text.charAt(StrictJson.firstLoneSurrogate(text)))
            + " without its pair)");
      }
      if (e instanceof InvalidFormatException f) {
        return new InvalidInputException(field, fieldName(field) + " has a value of the wrong type: "
            + abbreviate(String.valueOf(f.getValue())) + " is not " + typeName(f.getTargetType()));
      }
      if (e instanceof MismatchedInputException && d.getOriginalMessage() != null
          && d.getOriginalMessage().startsWith("Trailing token")) {
        return new InvalidInputException("", "the body holds more than one JSON value; send exactly one object");
      }
      if (e instanceof MismatchedInputException m) {
        if (field.isEmpty() && m.getMessage() != null && m.getMessage().startsWith("No content")) {
          return new InvalidInputException("", "the body is empty; it must be a JSON object");
        }
        Class<?> target = m.getTargetType();
        if (target != null) {
          if (target.isArray() && field.endsWith("]")) {
            target = target.getComponentType(); // the element at fault, not the array
          }
          return new InvalidInputException(field, fieldName(field) + " must be " + typeName(target));
        }
      }
      return new InvalidInputException(field, fieldName(field) + ": " + withoutClassNames(firstLine(d.getOriginalMessage())));
    }
    return new InvalidInputException("", "unreadable body: " + firstLine(e.getMessage()));
  }

  private static String path(JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (path.length() > 0) {
          path.append('.');
        }
        path.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        path.append('[').append(ref.getIndex()).append(']');
      }
    }
    return path.toString();
  }

  private static String fieldName(String field) {
    return field.isEmpty() ? "the body" : field;
  }

  private static String typeName(Class<?> type) {
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      return "an integer";
    }
    if (type == Double.class || type == double.class || type == Float.class || type == float.class) {
      return "a number";
    }
    if (type == String.class) {
      return "a string";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (type.isArray() || Collection.class.isAssignableFrom(type)) {
      return "an array";
    }
    return "a JSON object";
  }

  /** Jackson names Java types in its messages ({@code `java.lang.Integer`}, {@code (of dev.anvil...)}): a client needs none. */
  static String withoutClassNames(String message) {
    return message.replaceAll("\\s*\\(of [^)]*\\)", "")
        .replaceAll("`?\\b(?:[a-z_][\\w]*\\.)+([A-Z][\\w]*)(?:\\$[\\w$]*)?`?", "$1");
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    return abbreviate(nl < 0 ? message : message.substring(0, nl));
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }
}
