package io.offsync.collector;

import io.offsync.protocol.position.Position;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The source of one collector stream: a {@link PackReader} pulled on demand, each pull one blocking read on the
 * collector's blocking dispatcher. Caught up with the binlog, it reads again after the tail poll interval
 * (timer, no thread held), and sends a {@link RowPack#heartbeat()} whenever nothing went out for the heartbeat
 * interval, so the consumer sees the stream alive while the partition is quiet. It completes when the reader reaches mode 0's end and fails with a message naming the
 * partition and the problem (corrupt record with file and offset, I/O error). The reader is closed, and {@code
 * onClose} runs, however the stream ends (completion, failure, cancellation).
 */
final class PartitionStream {

  private PartitionStream() {}

  static Source<RowPack, NotUsed> source(
      PackReader reader,
      String description,
      StreamStats stats,
      Duration pollInterval,
      Duration heartbeatInterval,
      Executor blocking,
      ClassicActorSystemProvider system,
      Runnable onClose) {
    Tail tail = new Tail(pollInterval, heartbeatInterval.toNanos(), new AtomicLong(System.nanoTime()));
    return Source.unfoldResourceAsync(
        () -> CompletableFuture.completedFuture(reader),
        r -> read(r, description, stats, tail, blocking, system),
        r -> CompletableFuture.supplyAsync(() -> {
          try {
            r.close();
          } catch (IOException e) {
            throw new CompletionException(e);
          } finally {
            onClose.run();
          }
          return Done.done();
        }, blocking));
  }

  /** Tail polling: the poll delay, the heartbeat interval and when the last element went out. */
  private record Tail(Duration pollInterval, long heartbeatNanos, AtomicLong lastSent) {}

  private static CompletionStage<Optional<RowPack>> read(
      PackReader reader,
      String description,
      StreamStats stats,
      Tail tail,
      Executor blocking,
      ClassicActorSystemProvider system) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return reader.next();
      } catch (Exception e) {
        throw new CompletionException(new StreamFailure(description + ": " + e.getMessage(), e));
      }
    }, blocking).thenCompose(step -> {
      if (step instanceof PackReader.Step.Pack p) {
        stats.sent(p.rows(), p.pack().data().length, p.pack().next());
        tail.lastSent().set(System.nanoTime());
        return CompletableFuture.completedFuture(Optional.of(p.pack()));
      }
      if (step instanceof PackReader.Step.End) {
        return CompletableFuture.completedFuture(Optional.empty());
      }
      long now = System.nanoTime();
      if (now - tail.lastSent().get() >= tail.heartbeatNanos()) {
        tail.lastSent().set(now);
        return CompletableFuture.completedFuture(Optional.of(RowPack.heartbeat()));
      }
      return Patterns.after(tail.pollInterval(), system,
          () -> read(reader, description, stats, tail, blocking, system));
    });
  }

  /** A stream failure; its message names the partition, the position read from and the cause. */
  static final class StreamFailure extends RuntimeException {
    StreamFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  static String describe(int tid, int pid, Position from) {
    return "stream of partition " + tid + "_" + pid + " (opened at " + from + ")";
  }
}
