package io.offsync.sync;

import io.offsync.collector.RowPack;
import io.offsync.protocol.position.Position;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Where a subtask gets its rows: a stream of row packs of one partition from a position on. In a cluster this is
 * the collector entity of the leader's machine ({@link CollectorRowSource}).
 */
@FunctionalInterface
public interface RowSource {

  /**
   * Opens the partition's stream; the stage fails with a message naming the problem when the machine has no
   * collector or the collector refuses.
   */
  CompletionStage<Source<RowPack, NotUsed>> open(OpenRequest request);

  /**
   * Why streams of machine {@code host} cannot be opened now (e.g. no live collector there), or empty; checked
   * when a task is created, so that it is refused with a clear message.
   */
  default Optional<String> unavailable(String host) {
    return Optional.empty();
  }

  /**
   * Tells the source of {@code host} that the subtask has journaled everything before {@code upTo} (null: the
   * subtask is finished or deleted), so it may drop what it kept for resuming earlier. Fire and forget.
   */
  default void release(String host, int tid, int pid, String subtaskId, Position upTo) {}

  /**
   * @param host the machine of the partition leader
   * @param tid table id
   * @param pid partition id
   * @param mode sync mode
   * @param startTs mode 1's start timestamp (0 otherwise)
   * @param from the journaled position to read from, inclusive
   * @param tableInfo the current serialized {@code NS.TableInfo}
   * @param subtaskId the subtask's identity, for the collector's status page
   */
  record OpenRequest(
      String host, int tid, int pid, int mode, long startTs, Position from, byte[] tableInfo, String subtaskId) {}
}
