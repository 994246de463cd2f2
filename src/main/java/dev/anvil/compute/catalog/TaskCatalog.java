package dev.anvil.compute.catalog;

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
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The kinds this node can run (found with {@link ServiceLoader} on the class path, and in the
 * {@link KindsFolder}), and the one place where task input is read from JSON, checked, and
 * results written back to JSON. Immutable and shared.
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
   * Every kind on the class path of {@code loader}, checked (see {@link #of}). Makes {@code mapper}
   * strict about types and text (see {@link StrictJson}).
   *
   * @throws BadKind for a kind that cannot be loaded or run, naming it
   */
  public static TaskCatalog load(ObjectMapper mapper, ClassLoader loader) {
    return load(mapper, onClassPath(loader));
  }

  /**
   * These kinds, checked (see {@link #of}). Makes {@code mapper} strict about types and text
   * (see {@link StrictJson}).
   *
   * @throws BadKind for a kind that cannot be run, naming it
   */
  public static TaskCatalog load(ObjectMapper mapper, Collection<? extends ComputeTask<?, ?>> tasks) {
    StrictJson.configure(mapper);
    return of(mapper, tasks);
  }

  /**
   * One instance of each kind that the service files on the class path of {@code loader} list
   * (the built-in kinds among them).
   *
   * @throws BadKind for a listed kind that cannot be loaded or made
   */
  public static List<ComputeTask<?, ?>> onClassPath(ClassLoader loader) {
    @SuppressWarnings({"rawtypes", "unchecked"})
    ServiceLoader<ComputeTask<?, ?>> found = (ServiceLoader) ServiceLoader.load(ComputeTask.class, loader);
    try {
      return found.stream().<ComputeTask<?, ?>>map(ServiceLoader.Provider::get).toList();
    } catch (ServiceConfigurationError e) {
      throw new BadKind("a kind on the class path cannot be loaded: " + KindMessages.firstLine(e.getMessage())
          + (e.getCause() == null ? "" : "; " + KindMessages.cause(e.getCause())));
    }
  }

  /**
   * A catalog of these kinds, once each is checked: a valid name, given by no other kind, and an
   * input type that {@code mapper} can read (the JSON of its example input is read back as its
   * input type), so that a kind that could never run stops the node at start-up, not each request.
   *
   * @throws BadKind naming the kind, its class and where that comes from, and what is wrong
   */
  public static TaskCatalog of(ObjectMapper mapper, Collection<? extends ComputeTask<?, ?>> tasks) {
    TreeMap<String, ComputeTask<?, ?>> byKind = new TreeMap<>();
    for (ComputeTask<?, ?> task : tasks) {
      String kind = kindOf(task);
      if (kind == null || !KIND_NAME.matcher(kind).matches()) {
        throw new BadKind("kind name " + (kind == null ? "null" : "'" + kind + "'") + " of "
            + KindMessages.classAndOrigin(task.getClass()) + " must match " + KIND_NAME.pattern()
            + " (lower case letters, digits and dashes)");
      }
      ComputeTask<?, ?> previous = byKind.putIfAbsent(kind, task);
      if (previous != null) {
        throw new BadKind("kind '" + kind + "' is defined twice: by " + KindMessages.classAndOrigin(previous.getClass())
            + " and by " + KindMessages.classAndOrigin(task.getClass()) + "; rename one, or remove one jar");
      }
      checkInputType(mapper, kind, task);
    }
    return new TaskCatalog(byKind, mapper);
  }

  private static String kindOf(ComputeTask<?, ?> task) {
    try {
      return task.kind();
    } catch (RuntimeException | LinkageError e) {
      throw new BadKind("kind() of " + KindMessages.classAndOrigin(task.getClass()) + " failed: "
          + KindMessages.cause(e));
    }
  }

  /** The JSON of the example input must read back as the input type: else no request of this kind ever could. */
  private static void checkInputType(ObjectMapper mapper, String kind, ComputeTask<?, ?> task) {
    String which = "kind '" + kind + "' of " + KindMessages.classAndOrigin(task.getClass());
    Class<?> type;
    Object example;
    try {
      type = task.inputType();
      example = task.exampleInput();
    } catch (RuntimeException | LinkageError e) {
      throw new BadKind(which + ": inputType() or exampleInput() failed: " + KindMessages.cause(e));
    }
    if (type == null || example == null) {
      throw new BadKind(which + ": " + (type == null ? "inputType()" : "exampleInput()") + " returned null");
    }
    byte[] json;
    try {
      json = mapper.writeValueAsBytes(example);
    } catch (IOException | RuntimeException e) {
      throw new BadKind(which + ": its example input cannot be written as JSON: " + jacksonMessage(e));
    }
    try {
      mapper.readerFor(type).readValue(json);
    } catch (IOException | RuntimeException e) {
      throw new BadKind(which + ": its input type " + type.getName() + " cannot be read from JSON: "
          + jacksonMessage(e) + "; make it a record, or give it a constructor Jackson can use");
    }
  }

  /** Jackson's own words, without its exception's class name and location. */
  private static String jacksonMessage(Exception e) {
    String message = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
    if (message == null || message.isBlank()) {
      return e.getClass().getSimpleName();
    }
    return KindMessages.firstLine(message);
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
