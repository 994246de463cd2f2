package com.example.kinds;

import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.spi.InvalidInputException;
import dev.anvil.compute.spi.TaskContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A kind of your own: SHA-256 applied {@code rounds} times to a seed (a hash chain, as used for
 * proofs of work and key stretching). It shows the three things every kind does: it checks its
 * input before anything is queued, it checks for cancellation in its loop, and it reports
 * progress (a job's {@code progress}).
 */
public final class HashChain implements ComputeTask<HashChain.Input, HashChain.Result> {

  /** The input, read from the request's JSON body; a missing field is null. */
  public record Input(String seed, Integer rounds) {}

  public record Result(String seed, int rounds, String hex) {}

  static final int MAX_ROUNDS = 50_000_000;
  static final int MAX_SEED_CHARS = 1024;
  /** How often the loop checks for cancellation and reports progress: every few milliseconds. */
  private static final int CHECK_EVERY = 16_384;

  @Override
  public String kind() {
    return "hash-chain";
  }

  @Override
  public String description() {
    return "SHA-256 applied 'rounds' times to 'seed'; 1 <= rounds <= " + MAX_ROUNDS + ", seed at most "
        + MAX_SEED_CHARS + " characters";
  }

  @Override
  public Class<Input> inputType() {
    return Input.class;
  }

  @Override
  public Input exampleInput() {
    return new Input("anvil", 100_000);
  }

  @Override
  public void validate(Input input) {
    String seed = InvalidInputException.required(input.seed(), "seed");
    InvalidInputException.require(seed.length() <= MAX_SEED_CHARS, "seed",
        "seed must be at most " + MAX_SEED_CHARS + " characters, was " + seed.length());
    InvalidInputException.inRange(InvalidInputException.required(input.rounds(), "rounds"), "rounds", 1, MAX_ROUNDS);
  }

  @Override
  public Result run(Input input, TaskContext context) throws Exception {
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256"); // not thread-safe: one per run
    byte[] hash = input.seed().getBytes(StandardCharsets.UTF_8);
    int rounds = input.rounds();
    for (int i = 0; i < rounds; i++) {
      if (i % CHECK_EVERY == 0 && i > 0) {
        context.checkCancelled(); // past the deadline, or the client left: stop here
        context.reportProgress((double) i / rounds);
      }
      hash = sha256.digest(hash);
    }
    return new Result(input.seed(), rounds, HexFormat.of().formatHex(hash));
  }
}
