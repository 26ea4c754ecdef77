package io.offsync.sink;

import io.offsync.collector.RowPack;
import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.RowFormatException;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.position.Position;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write half of the exactly-once commit protocol for one partition: row packs in, durable part files out.
 *
 * <p>Rows are reassembled from the packs ({@link RowFramer}), decoded with the table schema (any schema version;
 * columns added later are NULL in older rows) and written in the table's latest column order to
 * {@code <dest>/_tmp/part-<tid>-<pid>-<seq>.<ext>.<attempt>.inprogress}. The file is opened with its first row, so no
 * empty files are made (a stream without rows makes no file at all). It rolls when it reaches
 * {@link RollPolicy#maxBytes()}, is {@link RollPolicy#maxAge()} old, gets no row for {@link RollPolicy#idle()}
 * (timers: this needs no further data), at the snapshot → binlog hand-over (the packs' position changes kind)
 * and when the upstream completes. A file always ends at a row boundary whose position is known: a roll that
 * comes due in the middle of a row or after a pack without a position waits for the next pack with one.
 *
 * <p>On roll the file is flushed, hsynced and closed, and only then emitted as a {@link RolledFile} whose
 * {@code next} is the position after its last row, and whose {@link CommitRecord} (owner, seq, attempt, first and
 * next position, rows) is in the file itself (Parquet footer) or goes beside it at commit (CSV sidecar). Sequence
 * numbers start at {@code firstSeq} and go up by one per file. The sink never renames: the caller journals FileCommitting, runs {@link CommitOps#commit}, journals
 * FileCommitted. While an emitted file waits for downstream demand, no further packs are pulled.
 *
 * <p>Time partitions ({@link PartitionBy}): the rows go to one file per partition value, and the files open at once
 * form a group that rolls, is emitted and is committed as one ({@link PartitionedFiles}).
 *
 * <p>Memory: the stage takes one pack at a time across its asynchronous boundary (input buffer 1; Pekko's default of
 * 16 held 16 MiB of waiting packs per partition), so what a partition holds is that pack, the open file's row group
 * (a group's: the open files' row groups, bounded by the roll size) and what the transport has in flight, whatever
 * the table's size.
 *
 * <p>Failure: any error (a corrupt row, a write error, the upstream failing) fails the stream, and the open tmp
 * file is closed and deleted; so does cancellation, together with rolled files never emitted. The stage runs on
 * the blocking I/O dispatcher.
 *
 * <p>Hung file system: every file-system call of the stage (writing a pack's rows, which may create the file;
 * close with flush + hsync; deletes) runs under an {@link IoTimeout}. A call that outlives it fails the stream
 * with an IOException naming the call and the bound; the hung call's thread keeps the open file and discards it
 * when the call returns. Tmp names carry a mark of the stream ({@link FileNames#tmpPath(Path, int, int, long,
 * OutputFormat, String)}), so whatever a hung call of a failed stream does later touches only its own files, which
 * are never journaled: exactly-once holds.
 */
public final class CommitSink {

  private static final Logger log = LoggerFactory.getLogger(CommitSink.class);

  /** The bound of the overloads without one: {@code offsync.sync.fs-call-timeout}'s default. */
  public static final IoTimeout DEFAULT_CALL_TIMEOUT = new IoTimeout(java.time.Duration.ofSeconds(120));

  private CommitSink() {}

  /**
   * The sink of partition (tid, pid) as a flow that emits each finished part file. Same as
   * {@link #flow(FileSystem, Path, int, int, TableSchema, OutputFormat, RollPolicy, long, Position)} with the
   * stream's start position unknown: a hand-over carried by the very first pack then does not roll.
   */
  public static Flow<RowPack, RolledFile, NotUsed> flow(FileSystem fs, Path dest, int tid, int pid,
      TableSchema schema, OutputFormat format, RollPolicy roll, long firstSeq) {
    return flow(fs, dest, tid, pid, schema, format, roll, firstSeq, null);
  }

  /**
   * The sink of partition (tid, pid) as a flow that emits each finished part file.
   *
   * @param fs the destination's file system
   * @param dest the destination directory
   * @param schema the table's schema, every version
   * @param firstSeq the sequence number of the first file: one after the last journaled file
   * @param from the position the stream was opened at (the subtask's journaled position), so that a snapshot →
   *     binlog hand-over in the first pack is recognised; null if unknown
   */
  public static Flow<RowPack, RolledFile, NotUsed> flow(FileSystem fs, Path dest, int tid, int pid,
      TableSchema schema, OutputFormat format, RollPolicy roll, long firstSeq, Position from) {
    return flow(fs, dest, tid, pid, schema, format, roll, firstSeq, from, DEFAULT_CALL_TIMEOUT);
  }

  /**
   * The sink of partition (tid, pid) as a flow that emits each finished part file, every file-system call
   * bounded by {@code calls} (see the class description).
   */
  public static Flow<RowPack, RolledFile, NotUsed> flow(FileSystem fs, Path dest, int tid, int pid,
      TableSchema schema, OutputFormat format, RollPolicy roll, long firstSeq, Position from, IoTimeout calls) {
    return flow(fs, dest, tid, pid, schema, format, roll, firstSeq, from, calls, "");
  }

  /**
   * The sink of partition (tid, pid) as a flow that emits each finished part file, every file-system call
   * bounded by {@code calls}, each file's {@link CommitRecord} naming {@code owner} (the subtask's id).
   */
  public static Flow<RowPack, RolledFile, NotUsed> flow(FileSystem fs, Path dest, int tid, int pid,
      TableSchema schema, OutputFormat format, RollPolicy roll, long firstSeq, Position from, IoTimeout calls,
      String owner) {
    Path qualified = fs.makeQualified(dest);
    return flow(fs, qualified, PartLayout.files(fs, qualified, tid, pid, format), tid, pid, schema, roll, firstSeq,
        from, calls, owner);
  }

  /**
   * The sink of partition (tid, pid) writing through {@code layout} (names and writers; an Iceberg table's data
   * files, for instance), every file-system call bounded by {@code calls}, each file's {@link CommitRecord} naming
   * {@code owner}.
   *
   * @param dest where the files go, for messages
   */
  public static Flow<RowPack, RolledFile, NotUsed> flow(FileSystem fs, Path dest, PartLayout layout, int tid,
      int pid, TableSchema schema, RollPolicy roll, long firstSeq, Position from, IoTimeout calls, String owner) {
    return flow(fs, dest, layout, tid, pid, schema, roll, firstSeq, from, calls, owner, null, 0);
  }

  /**
   * The sink of partition (tid, pid) writing time-partitioned file groups ({@link PartitionedFiles}) when
   * {@code by} is given: one file per partition value in each group, the group rolling as one (roll size = the
   * bytes of all its open files; age and idle as for one file) and also once it holds {@code maxOpenFiles} files,
   * at the end of the pack that reached the bound.
   *
   * @param by the time partitioning; null = single files
   * @param maxOpenFiles the bound on a group's files
   */
  public static Flow<RowPack, RolledFile, NotUsed> flow(FileSystem fs, Path dest, PartLayout layout, int tid,
      int pid, TableSchema schema, RollPolicy roll, long firstSeq, Position from, IoTimeout calls, String owner,
      PartitionBy by, int maxOpenFiles) {
    if (by != null && maxOpenFiles < 1) {
      throw new IllegalArgumentException("the bound on open partition files must be at least 1, got " + maxOpenFiles);
    }
    return Flow.fromGraph(new Stage(fs, dest, layout, tid, pid, schema, roll, firstSeq, from, calls, owner, by,
            maxOpenFiles))
        .withAttributes(Attributes.name("commit-sink")
            .and(ActorAttributes.dispatcher(ActorAttributes.IODispatcher().dispatcher()))
            .and(Attributes.inputBuffer(1, 1)))
        .async();
  }

  private static final class Stage extends GraphStage<FlowShape<RowPack, RolledFile>> {
    private final Inlet<RowPack> in = Inlet.create("CommitSink.in");
    private final Outlet<RolledFile> out = Outlet.create("CommitSink.out");
    private final FlowShape<RowPack, RolledFile> shape = FlowShape.of(in, out);
    private final FileSystem fs;
    private final Path dest;
    private final PartLayout layout;
    private final int tid;
    private final int pid;
    private final TableSchema schema;
    private final RollPolicy roll;
    private final long firstSeq;
    private final Position from;
    private final IoTimeout calls;
    private final String owner;
    private final PartitionBy by;
    private final int maxOpenFiles;

    Stage(FileSystem fs, Path dest, PartLayout layout, int tid, int pid, TableSchema schema, RollPolicy roll,
        long firstSeq, Position from, IoTimeout calls, String owner, PartitionBy by, int maxOpenFiles) {
      this.fs = fs;
      this.dest = dest;
      this.layout = layout;
      this.tid = tid;
      this.pid = pid;
      this.schema = schema;
      this.roll = roll;
      this.firstSeq = firstSeq;
      this.from = from;
      this.calls = calls;
      this.owner = owner;
      this.by = by;
      this.maxOpenFiles = maxOpenFiles;
    }

    @Override
    public FlowShape<RowPack, RolledFile> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes inheritedAttributes) {
      return new Logic();
    }

    private final class Logic extends TimerGraphStageLogic {
      private static final String AGE = "age";
      private static final String IDLE = "idle";

      private final RowFramer framer = new RowFramer();
      private final List<Column> columns = schema.latest();
      private final LatestColumns latest = new LatestColumns(schema);
      private final ArrayDeque<RolledFile> ready = new ArrayDeque<>();
      /** This attempt's mark in tmp names: what a hung call of an earlier attempt does later never touches them. */
      private final String attempt = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
      private long nextSeq = firstSeq;
      /** The latest position known: the start, then each pack's {@code next}; its kind tells the phase. */
      private Position lastPosition = from;
      /** Where the next file starts: the stream's start, then the end of the file before. */
      private Position fileFrom = from;
      private PartWriter writer;
      /** The open files of a time-partitioned group (with {@code by} only). */
      private final GroupWriter group = by == null ? null : new GroupWriter(by, maxOpenFiles, layout, columns);
      private long writerSeq;
      /** Whether every row written so far ends at {@code framer.lastComplete()}. */
      private boolean positioned = true;
      private boolean rollDue;
      private boolean finishing;
      /** A file-system call that outlived its bound: the open writer is its thread's until it returns. */
      private IoTimeout.Call<?> hung;

      Logic() {
        super(shape);
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() throws Exception {
            onPack(grab(in));
          }

          @Override
          public void onUpstreamFinish() throws Exception {
            onFinish();
          }

          @Override
          public void onUpstreamFailure(Throwable ex) {
            abortAll(false);
            failStage(ex);
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            deliver();
          }

          @Override
          public void onDownstreamFinish(Throwable cause) throws Exception {
            abortAll(true);
            super.onDownstreamFinish(cause);
          }
        });
      }

      @Override
      public void preStart() {
        pull(in);
      }

      @Override
      public void postStop() {
        abortAll(true);
      }

      private void onPack(RowPack pack) {
        try {
          boolean opened = !isOpen();
          int rows = bounded("writing rows", () -> framer.feed(pack, this::writeRow));
          if (opened && isOpen()) {
            scheduleOnce(AGE, roll.maxAge());
          }
          if (rows > 0) {
            scheduleOnce(IDLE, roll.idle());
          }
          if (pack.next() != null) {
            positioned = true;
            boolean handOver = lastPosition != null && lastPosition.getClass() != pack.next().getClass();
            lastPosition = pack.next();
            if (isOpen() && (rollDue || handOver || openBytes() >= roll.maxBytes())) {
              rollFile();
            }
          } else if (pack.data().length > 0) {
            positioned = false;
          }
        } catch (Exception e) {
          abortAll(false);
          failStage(e);
          return;
        }
        deliver();
      }

      /**
       * Writes a row. A row whose columns are a prefix of the latest schema goes to the writer encoded
       * ({@link PartWriter#writeEncoded}: Parquet takes its values without boxing them; with time partitions only
       * the partition column is read to pick the file); other rows are decoded and reordered first.
       */
      private void writeRow(byte[] buf, int off, int len) throws IOException {
        Object[] values;
        try {
          int version = RowCodec.schemaVersion(buf, off);
          values = latest.isPrefix(version) ? null : latest.reorder(version, RowCodec.decode(schema, buf, off));
        } catch (RuntimeException e) {
          throw undecodable(buf, off, e);
        }
        try {
          if (group != null) {
            if (group.isEmpty()) {
              writerSeq = nextSeq;
            }
            // the bound: the group rolls at the end of this pack
            rollDue |= values != null ? group.write(values, writerSeq, attempt)
                : group.writeEncoded(schema, buf, off, writerSeq, attempt);
            return;
          }
          if (writer == null) {
            openFile();
          }
          if (values != null) {
            writer.write(values);
          } else {
            writer.writeEncoded(schema, buf, off);
          }
        } catch (RowFormatException e) {
          throw undecodable(buf, off, e);
        }
      }

      private IOException undecodable(byte[] buf, int off, RuntimeException e) {
        return new IOException("table " + tid + " partition " + pid + ": cannot decode a row of schema version "
            + (buf[off + 1] & 0xff) + " after position " + framer.lastComplete() + " (the sink knows versions up"
            + " to " + schema.latestVersion() + "; a newer one means the table changed and the subtask must"
            + " restart with its current metadata): " + e.getMessage(), e);
      }

      private boolean isOpen() {
        return writer != null || (group != null && !group.isEmpty());
      }

      private long openBytes() {
        return writer != null ? writer.bytes() : group.bytes();
      }

      private void openFile() throws IOException {
        writerSeq = nextSeq;
        Path tmp = layout.tmpPath(writerSeq, attempt);
        writer = layout.open(tmp, columns);
        if (log.isDebugEnabled()) {
          log.debug("tid {} pid {}: writing {}", tid, pid, tmp);
        }
      }

      private void rollFile() throws IOException {
        if (group != null) {
          rollGroup();
          return;
        }
        PartWriter w = writer;
        writer = null;
        rollDue = false;
        cancelTimer(AGE);
        cancelTimer(IDLE);
        long rows = w.rows();
        Position next = framer.lastComplete();
        CommitRecord record = new CommitRecord(owner, tid, pid, writerSeq, attempt, fileFrom, next, rows);
        long bytes;
        try {
          bytes = bounded("closing", () -> w.close(record));
        } catch (IOException | RuntimeException e) {
          discard(w);
          throw e;
        }
        RolledFile file = new RolledFile(writerSeq, layout.tmpPath(writerSeq, attempt),
            layout.finalPath(writerSeq, attempt), next, rows, bytes, record);
        nextSeq = writerSeq + 1;
        fileFrom = next;
        ready.add(file);
        if (log.isDebugEnabled()) {
          log.debug("tid {} pid {}: rolled file {} ({} rows, {} bytes, next {})", tid, pid, file.seq(), rows, bytes,
              file.next());
        }
      }

      /** Closes every file of the group, each with its record, then emits the group ({@link PartitionedFiles}). */
      private void rollGroup() throws IOException {
        rollDue = false;
        cancelTimer(AGE);
        cancelTimer(IDLE);
        Position next = framer.lastComplete();
        RolledFile file = group.roll(owner, tid, pid, writerSeq, attempt, fileFrom, next,
            (w, record) -> bounded("closing", () -> w.close(record)), this::discard);
        nextSeq = writerSeq + 1;
        fileFrom = next;
        ready.add(file);
        if (log.isDebugEnabled()) {
          log.debug("tid {} pid {}: rolled group {} ({} files, {} rows, next {})", tid, pid, file.seq(),
              file.members().size(), file.rows(), next);
        }
      }

      /** Pushes a ready file if there is demand, then pulls more packs only once nothing waits. */
      private void deliver() {
        if (!ready.isEmpty() && isAvailable(out)) {
          push(out, ready.poll());
        }
        if (ready.isEmpty()) {
          if (finishing) {
            completeStage();
          } else if (!hasBeenPulled(in) && !isClosed(in)) {
            pull(in);
          }
        }
      }

      @Override
      public void onTimer(Object key) {
        if (!isOpen()) {
          return;
        }
        if (positioned && framer.atRowBoundary()) {
          try {
            rollFile();
          } catch (Exception e) {
            abortAll(false);
            failStage(e);
            return;
          }
          deliver();
        } else {
          rollDue = true;
        }
      }

      private void onFinish() {
        try {
          if (!framer.atRowBoundary()) {
            throw new IOException("table " + tid + " partition " + pid + ": the row stream ended inside a row after"
                + " position " + framer.lastComplete());
          }
          if (isOpen()) {
            if (!positioned) {
              throw new IOException("table " + tid + " partition " + pid + ": the row stream ended after rows"
                  + " whose position was never sent (the last pack with rows had no position)");
            }
            rollFile();
          }
        } catch (Exception e) {
          abortAll(false);
          failStage(e);
          return;
        }
        finishing = true;
        deliver();
      }

      /** Closes and deletes the open tmp file, and with {@code unsent} the rolled files never emitted. */
      private void abortAll(boolean unsent) {
        if (writer != null) {
          PartWriter w = writer;
          writer = null;
          discard(w);
        }
        if (group != null) {
          group.discardAll(this::discard);
        }
        if (unsent) {
          for (RolledFile f : ready) {
            for (RolledFile file : f.isGroup() ? f.members() : List.of(f)) {
              try {
                bounded("deleting " + file.tmp(), () -> fs.delete(file.tmp(), false));
              } catch (IOException | RuntimeException ignored) {
                // unjournaled: removed by the next recovery's stray tmp cleanup
              }
            }
          }
          ready.clear();
        }
      }

      /**
       * Closes and deletes a file given up, within the bound. If a call of this stage hung, that call's thread does
       * it once the call returns (the file's name is this attempt's own, so doing it late harms no other file).
       */
      private void discard(PartWriter w) {
        if (hung != null) {
          hung.afterReturn(w::abort);
          return;
        }
        try {
          bounded("discarding", () -> {
            w.abort();
            return null;
          });
        } catch (IOException | RuntimeException ignored) {
          // given up: the stray tmp cleanup of the next recovery removes the file
        }
      }

      /**
       * Runs a file-system call of this stage within the bound. Once one hung, no further call is made (the open
       * writer still belongs to the hung call's thread) and the stage fails.
       */
      private <T> T bounded(String what, IoTimeout.IoCall<T> body) throws IOException {
        if (hung != null) {
          throw new IOException("table " + tid + " partition " + pid + ": an earlier file-system call hung");
        }
        IoTimeout.Call<T> call = calls.start("table " + tid + " partition " + pid + ": " + what + " (part file "
            + nextSeq + " under " + dest + ")", body);
        try {
          return call.await();
        } finally {
          if (call.abandoned()) {
            hung = call;
          }
        }
      }
    }
  }
}
