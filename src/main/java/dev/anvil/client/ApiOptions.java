package dev.anvil.client;

import java.net.URI;
import java.net.URISyntaxException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code --url} and {@code --token}: where the API is and how to be let in; mixed into every client command. */
public final class ApiOptions {

  @Option(names = "--url", paramLabel = "URL", converter = BaseUrl.class,
      defaultValue = "${env:ANVIL_URL:-http://127.0.0.1:8080}",
      description = "Where Anvil serves HTTP, any node of the cluster (env ANVIL_URL; now ${DEFAULT-VALUE})")
  URI url;

  // Read from the environment in code, not through defaultValue: --help would print the secret.
  @Option(names = "--token", paramLabel = "TOKEN",
      description = "API token, sent as 'Authorization: Bearer TOKEN' (env ANVIL_TOKEN)")
  String token;

  ApiClient client() {
    String t = token != null ? token : System.getenv("ANVIL_TOKEN");
    return new ApiClient(url, t == null || t.isBlank() ? null : t.trim());
  }

  /** An http or https URL with a host; a trailing slash is dropped so paths can be appended. */
  static final class BaseUrl implements ITypeConverter<URI> {
    @Override
    public URI convert(String value) {
      try {
        URI uri = new URI(value.trim());
        if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())
            || uri.getHost() == null || uri.getQuery() != null || uri.getFragment() != null) {
          throw new TypeConversionException("'" + value + "' is not an http:// or https:// URL with a host"
              + " (e.g. http://127.0.0.1:8080)");
        }
        String s = uri.toString();
        return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
      } catch (URISyntaxException e) {
        throw new TypeConversionException("'" + value + "' is not a URL: " + e.getReason());
      }
    }
  }
}
