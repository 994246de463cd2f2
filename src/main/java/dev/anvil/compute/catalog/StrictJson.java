package dev.anvil.compute.catalog;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;

/**
 * Task inputs are read exactly as sent: a string field takes only a JSON string, a number field
 * only a JSON number, a boolean only {@code true} or {@code false}; a key given twice and a
 * string that is not valid Unicode (a lone UTF-16 surrogate escape) are refused. Jackson's
 * defaults would quietly turn {@code 123} into {@code "123"}, {@code "NaN"} into a number, keep
 * the last of two keys, and hash a lone surrogate as {@code "?"}.
 */
public final class StrictJson {
  private StrictJson() {}

  /** Makes {@code mapper} strict; for the mapper of task inputs, once, before it reads anything. */
  public static ObjectMapper configure(ObjectMapper mapper) {
    mapper.getFactory().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    for (LogicalType type : new LogicalType[] {LogicalType.Textual, LogicalType.Integer, LogicalType.Float,
        LogicalType.Boolean}) {
      var config = mapper.coercionConfigFor(type);
      for (CoercionInputShape shape : new CoercionInputShape[] {CoercionInputShape.Integer, CoercionInputShape.Float,
          CoercionInputShape.Boolean, CoercionInputShape.String, CoercionInputShape.EmptyString}) {
        if (!(type == LogicalType.Float && shape == CoercionInputShape.Integer)) { // 1 is a fine double
          config.setCoercion(shape, CoercionAction.Fail);
        }
      }
    }
    mapper.registerModule(new SimpleModule("anvil-strict-json")
        .addDeserializer(String.class, new StrictStrings())
        .addDeserializer(Double.class, new StrictDoubles<>(Double.class))
        .addDeserializer(double.class, new StrictDoubles<>(double.class))
        .addDeserializer(double[].class, new StrictDoubleArrays()));
    return mapper;
  }

  /** Strings only from JSON strings, and only well-formed UTF-16. */
  static final class StrictStrings extends StdScalarDeserializer<String> {
    StrictStrings() {
      super(String.class);
    }

    @Override
    public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (p.currentToken() != JsonToken.VALUE_STRING) {
        return (String) ctxt.handleUnexpectedToken(String.class, p);
      }
      String text = p.getText();
      if (firstLoneSurrogate(text) >= 0) {
        throw InvalidFormatException.from(p, "a lone UTF-16 surrogate", text, String.class);
      }
      return text;
    }

    @Override
    public LogicalType logicalType() {
      return LogicalType.Textual;
    }
  }

  /**
   * Numbers only from JSON numbers: Jackson reads {@code "NaN"} and {@code "Infinity"} into a
   * double before it looks at its coercion settings.
   */
  static final class StrictDoubles<T> extends StdScalarDeserializer<T> {
    StrictDoubles(Class<T> type) {
      super(type);
    }

    @Override
    @SuppressWarnings("unchecked")
    public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (!p.currentToken().isNumeric()) {
        return (T) ctxt.handleUnexpectedToken(handledType(), p);
      }
      return (T) (Double) p.getDoubleValue();
    }

    @Override
    public LogicalType logicalType() {
      return LogicalType.Float;
    }
  }

  /** An array of JSON numbers, each read as {@link StrictDoubles} does. */
  static final class StrictDoubleArrays extends StdScalarDeserializer<double[]> {
    StrictDoubleArrays() {
      super(double[].class);
    }

    @Override
    public double[] deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (!p.isExpectedStartArrayToken()) {
        return (double[]) ctxt.handleUnexpectedToken(double[].class, p);
      }
      double[] values = new double[16];
      int n = 0;
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (!t.isNumeric()) {
          try {
            ctxt.handleUnexpectedToken(double.class, p);
          } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
            throw com.fasterxml.jackson.databind.JsonMappingException.wrapWithPath(e, values, n);
          }
        }
        if (n == values.length) {
          values = java.util.Arrays.copyOf(values, n * 2);
        }
        values[n++] = p.getDoubleValue();
      }
      return java.util.Arrays.copyOf(values, n);
    }

    @Override
    public LogicalType logicalType() {
      return LogicalType.Array;
    }
  }

  /** Index of the first surrogate char without its pair, or -1. */
  static int firstLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          return i;
        }
      } else if (Character.isLowSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }
}
