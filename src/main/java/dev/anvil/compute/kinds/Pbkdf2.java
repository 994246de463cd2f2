package dev.anvil.compute.kinds;

import static dev.anvil.compute.spi.InvalidInputException.inRange;
import static dev.anvil.compute.spi.InvalidInputException.require;
import static dev.anvil.compute.spi.InvalidInputException.required;

import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.spi.TaskContext;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * PBKDF2-HMAC-SHA256 (RFC 8018), written out over {@link Mac} rather than taken from
 * {@code SecretKeyFactory} so that a long derivation checks for cancellation as it goes.
 */
public final class Pbkdf2 implements ComputeTask<Pbkdf2.Input, Pbkdf2.Result> {

  public static final int MAX_BYTES = 1024;
  public static final int MAX_KEY_BYTES = 256;
  /** Bound on iterations x output blocks: about 10 s of one core. */
  public static final long MAX_WORK = 10_000_000;
  private static final int HASH_BYTES = 32;
  private static final String HMAC = "HmacSHA256";

  public record Input(String password, String salt, Integer iterations, Integer keyBytes) {
    public Input {
      keyBytes = keyBytes == null ? HASH_BYTES : keyBytes;
    }
  }

  public record Result(String hex) {}

  @Override
  public String kind() {
    return "pbkdf2";
  }

  @Override
  public String description() {
    return "Derives a key with PBKDF2-HMAC-SHA256; iterations x ceil(keyBytes/32) <= " + MAX_WORK;
  }

  @Override
  public Class<Input> inputType() {
    return Input.class;
  }

  @Override
  public Input exampleInput() {
    return new Input("password", "salt", 10_000, 32);
  }

  @Override
  public void validate(Input input) {
    int passwordBytes = utf8(required(input.password(), "password")).length;
    require(passwordBytes <= MAX_BYTES, "password", "password must be at most " + MAX_BYTES + " UTF-8 bytes");
    int saltBytes = utf8(required(input.salt(), "salt")).length;
    require(saltBytes <= MAX_BYTES, "salt", "salt must be at most " + MAX_BYTES + " UTF-8 bytes");
    long iterations = inRange(input.iterations(), "iterations", 1, MAX_WORK);
    long keyBytes = inRange(input.keyBytes(), "keyBytes", 1, MAX_KEY_BYTES);
    long blocks = (keyBytes + HASH_BYTES - 1) / HASH_BYTES;
    require(iterations * blocks <= MAX_WORK, "iterations",
        "iterations x ceil(keyBytes/32) must be at most " + MAX_WORK + ", was " + iterations * blocks);
  }

  @Override
  public Result run(Input input, TaskContext context) {
    try {
      byte[] key = derive(utf8(input.password()), utf8(input.salt()), input.iterations(), input.keyBytes(), context);
      return new Result(HexFormat.of().formatHex(key));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e); // every Java SE JVM has it
    }
  }

  static byte[] derive(byte[] password, byte[] salt, int iterations, int keyBytes, TaskContext context)
      throws GeneralSecurityException {
    Mac mac = Mac.getInstance(HMAC);
    // HMAC pads a short key with zeros to the 64-byte block, so an empty password equals 64
    // zero bytes; SecretKeySpec refuses an empty key.
    mac.init(new SecretKeySpec(password.length == 0 ? new byte[64] : password, HMAC));
    byte[] out = new byte[keyBytes];
    byte[] u = new byte[HASH_BYTES];
    byte[] t = new byte[HASH_BYTES];
    for (int block = 1, offset = 0; offset < keyBytes; block++, offset += HASH_BYTES) {
      mac.update(salt);
      mac.update(new byte[] {(byte) (block >>> 24), (byte) (block >>> 16), (byte) (block >>> 8), (byte) block});
      mac.doFinal(u, 0);
      System.arraycopy(u, 0, t, 0, HASH_BYTES);
      for (int i = 2; i <= iterations; i++) {
        if ((i & 1023) == 0) {
          context.checkCancelled();
        }
        mac.update(u);
        mac.doFinal(u, 0);
        for (int k = 0; k < HASH_BYTES; k++) {
          t[k] ^= u[k];
        }
      }
      System.arraycopy(t, 0, out, offset, Math.min(HASH_BYTES, keyBytes - offset));
    }
    return out;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
