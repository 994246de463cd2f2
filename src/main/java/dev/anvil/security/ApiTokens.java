package dev.anvil.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The bearer tokens that may call {@code /v1}, each with its tenant and scopes. Tokens are kept
 * only as SHA-256 digests and a presented one is compared with {@link MessageDigest#isEqual}
 * against every entry, so neither its length nor its content changes how long the check takes.
 *
 * <p>Two sources: {@code anvil.http.api-tokens} (tenant {@code default}, every scope) and the
 * tokens file, lines {@code TENANT SCOPES TOKEN} (see {@link #parseFile}).
 */
public final class ApiTokens {

  private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  private static final Pattern HASHED = Pattern.compile("sha256:[0-9a-fA-F]{64}");
  private static final String HASH_PREFIX = "sha256:";

  /** One token: whose it is, what it may do, and its digest. */
  private record Entry(Caller caller, byte[] digest) {}

  /** A tokens file that cannot be used: its line and why. */
  public static final class BadFile extends Exception {
    private final int line;

    public BadFile(int line, String reason) {
      super("line " + line + ": " + reason);
      this.line = line;
    }

    public int line() {
      return line;
    }
  }

  private final List<Entry> entries;
  /** Whether tokens were configured at all: an empty tokens file still closes the API. */
  private final boolean required;

  private ApiTokens(List<Entry> entries, boolean required) {
    this.entries = List.copyOf(entries);
    this.required = required;
  }

  /** {@code anvil.http.api-tokens}: tenant {@code default}, every scope. */
  public static ApiTokens of(List<String> tokens) {
    List<Entry> entries = new ArrayList<>();
    for (String t : tokens) {
      if (!t.isBlank()) {
        entries.add(new Entry(Caller.OPEN, sha256(t.trim())));
      }
    }
    return new ApiTokens(entries, !entries.isEmpty());
  }

  /** {@code "a, b"} to tokens; blank means none. */
  public static List<String> parse(String tokens) {
    return Arrays.stream(tokens.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
  }

  /**
   * A tokens file's lines, with the plain tokens of {@code api-tokens} added. Each line is
   * {@code TENANT SCOPES TOKEN}: a tenant name (letters, digits, {@code _.-}, up to 64), a comma
   * list of {@code submit}, {@code read}, {@code admin}, and the token itself or
   * {@code sha256:<hex>} of it. Blank lines and lines starting with {@code #} are skipped.
   *
   * @throws BadFile naming the first line that cannot be used
   */
  public static ApiTokens parseFile(List<String> lines, List<String> plainTokens) throws BadFile {
    List<Entry> entries = new ArrayList<>(of(plainTokens).entries);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      int number = i + 1;
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] fields = line.split("\\s+");
      if (fields.length != 3) {
        throw new BadFile(number, "expected 'TENANT SCOPES TOKEN' (3 fields), found " + fields.length);
      }
      if (!TENANT.matcher(fields[0]).matches()) {
        throw new BadFile(number, "the tenant must be 1 to 64 letters, digits, '_', '.' or '-', starting with a"
            + " letter or digit");
      }
      Set<Scope> scopes = EnumSet.noneOf(Scope.class);
      for (String word : fields[1].split(",")) {
        Scope scope = Scope.parse(word);
        if (scope == null) {
          throw new BadFile(number, "unknown scope '" + abbreviate(word) + "'; known: submit, read, admin");
        }
        scopes.add(scope);
      }
      byte[] digest;
      if (fields[2].regionMatches(true, 0, HASH_PREFIX, 0, HASH_PREFIX.length())) {
        if (!HASHED.matcher(fields[2].toLowerCase(java.util.Locale.ROOT)).matches()) {
          throw new BadFile(number, "a hashed token is 'sha256:' and 64 hex digits");
        }
        digest = HexFormat.of().parseHex(fields[2].substring(HASH_PREFIX.length()));
      } else {
        digest = sha256(fields[2]);
      }
      for (Entry e : entries) {
        if (MessageDigest.isEqual(e.digest(), digest)) {
          throw new BadFile(number, "this token is given twice");
        }
      }
      entries.add(new Entry(new Caller(fields[0], scopes), digest));
    }
    return new ApiTokens(entries, true);
  }

  /** No tokens configured at all: the API is open (to whoever can reach its address). */
  public boolean isEmpty() {
    return !required;
  }

  public boolean accepts(String presented) {
    return find(presented).isPresent();
  }

  /** The caller a token names, checked against every entry whatever matches. */
  public Optional<Caller> find(String presented) {
    byte[] digest = sha256(presented);
    Caller found = null;
    for (Entry known : entries) {
      if (MessageDigest.isEqual(known.digest(), digest)) {
        found = known.caller();
      }
    }
    return Optional.ofNullable(found);
  }

  /** The tenants named, {@code default} first when it has tokens: the bounded set metrics may label. */
  public Set<String> tenants() {
    Set<String> tenants = new LinkedHashSet<>();
    entries.forEach(e -> tenants.add(e.caller().tenant()));
    return tenants;
  }

  public int size() {
    return entries.size();
  }

  /** The {@code sha256:<hex>} form of a token, for a tokens file that keeps no token in clear. */
  public static String hashed(String token) {
    return HASH_PREFIX + HexFormat.of().formatHex(sha256(token));
  }

  private static String abbreviate(String s) {
    return s.length() <= 32 ? s : s.substring(0, 32) + "...";
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
