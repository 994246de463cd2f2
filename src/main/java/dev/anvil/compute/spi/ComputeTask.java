package dev.anvil.compute.spi;

/**
 * A kind of CPU-heavy work that Anvil can run: what a user implements to add a kind.
 *
 * <p>Implementations are found with {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/dev.anvil.compute.spi.ComputeTask} of a jar in the kinds folder
 * ({@code --kinds DIR}) or on the class path. They need a public no-argument constructor.
 *
 * <p>What the runtime relies on:
 * <ul>
 *   <li><b>A task may run more than once.</b> When the node running it is lost, a task is sent
 *       again to another node while its deadline allows, and a job is run again by another node.
 *       So {@link #run} must be free of side effects that cannot be repeated: compute from the
 *       input, return the result, and write nothing elsewhere that a second run would
 *       duplicate or break.
 *   <li><b>One instance serves every worker thread at once.</b> It must be thread-safe: no
 *       mutable fields (constants and immutable lookup tables are fine); state of one run lives
 *       in locals of {@link #run}, objects that are not thread-safe ({@code MessageDigest}, a
 *       {@code StringBuilder}) are made per run.
 *   <li><b>Long loops call {@link TaskContext#checkCancelled()}</b> every few milliseconds of
 *       work, so a task past its deadline, or cancelled, stops promptly. One that does not is
 *       answered at its deadline anyway, and its worker thread is replaced once it runs on past
 *       the deadline plus a grace ({@code anvil.compute.stuck-grace}); a node with more such
 *       threads than {@code anvil.compute.max-stuck-workers} restarts.
 *   <li><b>{@link #validate} runs on the node that received the request; {@link #run} may run on
 *       another node</b>, which reads the input again from its JSON. Neither may depend on state
 *       of the node it runs on.
 *   <li><b>Inputs and results go through a strict Jackson mapper.</b> The input is read from JSON
 *       into {@link #inputType()} (records work; a missing field is {@code null}, so use boxed
 *       types and let {@link #validate} report it), and unknown fields, a key given twice and a
 *       value of another JSON type are refused. The result is written as JSON. When a node
 *       starts, the JSON of {@link #exampleInput()} is read back as {@link #inputType()}: a
 *       kind whose input type Jackson cannot read stops the node with a message naming it.
 * </ul>
 *
 * @param <I> the input, read from the request's JSON body (a record is the natural choice)
 * @param <O> the result, written as the {@code result} field of the response
 */
public interface ComputeTask<I, O> {

  /** The name in {@code POST /v1/tasks/{kind}}: lower case letters, digits and dashes. */
  String kind();

  /** One sentence for {@code GET /v1/kinds}. */
  String description();

  /** The type the JSON body is read into. */
  Class<I> inputType();

  /** An input that is valid and quick to run, shown by {@code GET /v1/kinds}. */
  I exampleInput();

  /**
   * Checks the bounds that keep one request from taking the server down. Runs on the node
   * that received the request, before anything is queued; {@link #run} may then run on another
   * node.
   *
   * @throws InvalidInputException naming the field and the bound it broke
   */
  void validate(I input);

  /**
   * Computes the result. Runs on a compute worker thread, never on the HTTP dispatcher, on
   * many threads at once (keep per-run state in locals), and possibly more than once for one
   * request (no side effects that cannot be repeated). Long loops call
   * {@link TaskContext#checkCancelled()} often (every few milliseconds of work) so that a task
   * past its deadline stops promptly.
   */
  O run(I input, TaskContext context) throws Exception;
}
