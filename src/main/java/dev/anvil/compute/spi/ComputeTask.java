package dev.anvil.compute.spi;

/**
 * A kind of CPU-heavy work that Anvil can run: what a user implements to add a kind.
 *
 * <p>Implementations are found with {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/dev.anvil.compute.spi.ComputeTask} of a jar on the classpath. They
 * must have a public no-argument constructor and be stateless (one instance serves every
 * worker thread at once).
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
   * that received the request, before anything is queued.
   *
   * @throws InvalidInputException naming the field and the bound it broke
   */
  void validate(I input);

  /**
   * Computes the result. Runs on a compute worker thread, never on the HTTP dispatcher. Long
   * loops call {@link TaskContext#checkCancelled()} often (every few milliseconds of work) so
   * that a task past its deadline stops promptly.
   */
  O run(I input, TaskContext context) throws Exception;
}
