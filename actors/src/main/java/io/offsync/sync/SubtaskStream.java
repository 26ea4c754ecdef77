package io.offsync.sync;

import io.offsync.collector.RowPack;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.position.Position;
import io.offsync.protocol.zk.TableMetadata;
import io.offsync.sink.RolledFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Opening and running one subtask's stream: the partition's leader machine from ZooKeeper, the rows from the
 * collector there, through the sink into rolled files, each handed to the subtask to commit before the sink pulls
 * more rows (backpressure: at most one file is rolled and uncommitted at a time).
 */
final class SubtaskStream {

  /** An opened stream: the collector's rows, the machine they come from, and the table as ZooKeeper has it. */
  record Opening(Source<RowPack, NotUsed> source, String host, NS.TableInfo table) {}

  /** Opening failed; {@code host} is the leader's machine, or empty when it was not known yet. */
  static final class OpenFailure extends RuntimeException {
    final String host;

    OpenFailure(String host, Throwable cause) {
      super(cause.getMessage(), cause, false, false);
      this.host = host;
    }
  }

  private SubtaskStream() {}

  /**
   * Looks the table and its partition leader up in ZooKeeper (on {@code blocking}), prepares the destination for
   * the table's schema, and opens the collector's stream from {@code from}. Fails with an {@link OpenFailure}.
   */
  static CompletableFuture<Opening> open(SubtaskSpec spec, SyncEnvironment env, SubtaskDestination destination,
      RowSource rows, Position from, Executor blocking) {
    CompletableFuture<NS.TableInfo> found = CompletableFuture.supplyAsync(() -> {
      NS.TableInfo info = env.metadata().byTid(spec.tid()).orElseThrow(() -> new IllegalStateException(
          "table " + spec.task().key() + " (tid " + spec.tid() + ") is no longer in ZooKeeper; delete the sync task"));
      try {
        destination.openForWrite(TableSchema.of(info));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return info;
    }, blocking);
    CompletableFuture<Opening> opening = new CompletableFuture<>();
    found.whenComplete((info, e) -> {
      if (e != null) {
        opening.completeExceptionally(new OpenFailure("", Subtask.unwrap(e)));
        return;
      }
      String host = "";
      try {
        host = TableMetadata.host(TableMetadata.leaderEndpoint(info, spec.pid()));
        var request = new RowSource.OpenRequest(host, spec.tid(), spec.pid(), spec.task().mode(),
            spec.task().effectiveStartTs(), from, info.toByteArray(), spec.subtaskId());
        String leader = host;
        rows.open(request).whenComplete((source, ex) -> {
          if (ex == null) {
            opening.complete(new Opening(source, leader, info));
          } else {
            opening.completeExceptionally(new OpenFailure(leader, Subtask.unwrap(ex)));
          }
        });
      } catch (RuntimeException ex) {
        opening.completeExceptionally(new OpenFailure(host, ex));
      }
    });
    return opening;
  }

  /**
   * Runs {@code source} through {@code sink}; every pack (heartbeats included) refreshes {@code lastContact}, and
   * {@code contact} runs for the first pack and then at most once per {@code contactEveryMs}. Heartbeats go no
   * further. Each rolled file waits for {@code commit} before the next is rolled.
   */
  static Pair<UniqueKillSwitch, CompletionStage<Done>> run(Source<RowPack, NotUsed> source,
      Flow<RowPack, RolledFile, NotUsed> sink, AtomicLong lastContact, long contactEveryMs, Runnable contact,
      Function<RolledFile, CompletionStage<Done>> commit, Materializer materializer) {
    AtomicLong told = new AtomicLong();
    return source
        .map(pack -> {
          long now = System.currentTimeMillis();
          lastContact.set(now);
          long last = told.get();
          if ((last == 0 || now - last >= contactEveryMs) && told.compareAndSet(last, now)) {
            contact.run();
          }
          return pack;
        })
        .filter(pack -> !pack.isHeartbeat())
        .viaMat(KillSwitches.single(), Keep.right())
        .via(sink)
        .mapAsync(1, commit::apply)
        .toMat(Sink.ignore(), Keep.both())
        .run(materializer);
  }
}
