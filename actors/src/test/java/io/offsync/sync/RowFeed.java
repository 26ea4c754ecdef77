package io.offsync.sync;

import io.offsync.collector.RowPack;
import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.ColumnType;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A row source for task unit tests: rows {@code (id bigint, name string)} with ids {@code pid * 1_000_000} + 0..n-1
 * per partition, encoded in the
 * OpenMLDB row format, {@code rowsPerPack} rows per pack, and every third pack split in the middle of a row (the
 * first half without a position) as collectors do for large rows. Row {@code i} is at binlog position
 * {@code i + 1}; opening from a position serves the rows from there on, so reopened streams resume exactly.
 */
final class RowFeed implements RowSource {

  static final List<Column> COLUMNS = List.of(Column.of("id", ColumnType.BIGINT), Column.of("name", ColumnType.STRING));

  private final int rows;
  private final int rowsPerPack;
  private final boolean completes;
  private final Duration perPack;

  RowFeed(int rows, int rowsPerPack, boolean completes) {
    this(rows, rowsPerPack, completes, Duration.ZERO);
  }

  /** A feed that sends at most one pack per {@code perPack}, like a collector reading a slow disk. */
  RowFeed(int rows, int rowsPerPack, boolean completes, Duration perPack) {
    this.rows = rows;
    this.rowsPerPack = rowsPerPack;
    this.completes = completes;
    this.perPack = perPack;
  }

  static NS.TableInfo table(int tid) {
    return table("db1", "t1", tid, 1, Common.StorageMode.kSSD);
  }

  /** Table {@code db.name} with {@code partitions} partitions, every leader on 127.0.0.1 (or {@code leaderHost}). */
  static NS.TableInfo table(String db, String name, int tid, int partitions, Common.StorageMode storage) {
    return table(db, name, tid, partitions, storage, "127.0.0.1");
  }

  static NS.TableInfo table(String db, String name, int tid, int partitions, Common.StorageMode storage,
      String leaderHost) {
    var b = NS.TableInfo.newBuilder()
        .setName(name)
        .setDb(db)
        .setTid(tid)
        .setPartitionNum(partitions)
        .setStorageMode(storage)
        .addColumnDesc(Common.ColumnDesc.newBuilder().setName("id").setDataType(Type.DataType.kBigInt))
        .addColumnDesc(Common.ColumnDesc.newBuilder().setName("name").setDataType(Type.DataType.kString))
        .addColumnKey(Common.ColumnKey.newBuilder().setIndexName("idx0").addColName("id"));
    for (int pid = 0; pid < partitions; pid++) {
      b.addTablePartition(NS.TablePartition.newBuilder().setPid(pid)
          .addPartitionMeta(NS.PartitionMeta.newBuilder().setEndpoint(leaderHost + ":9527").setIsLeader(true)));
    }
    return b.build();
  }

  /** The ids partition {@code pid} serves: {@code pid * 1_000_000 + 0 .. n-1}. */
  static List<Long> ids(int pid, int n) {
    List<Long> ids = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      ids.add(pid * 1_000_000L + i);
    }
    return ids;
  }

  static List<Long> ids(int n) {
    return ids(0, n);
  }

  static byte[] row(long id) {
    return RowCodec.encode(COLUMNS, 1, new Object[] {id, "name-" + id});
  }

  @Override
  public CompletionStage<Source<RowPack, NotUsed>> open(OpenRequest request) {
    Position from = request.from();
    int first = from instanceof BinlogPosition b ? (int) b.nextLogIndex() - 1 : 0;
    List<RowPack> packs = new ArrayList<>();
    int packNo = 0;
    long base = request.pid() * 1_000_000L;
    for (int i = first; i < rows; i += rowsPerPack) {
      int end = Math.min(rows, i + rowsPerPack);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      for (int r = i; r < end; r++) {
        bytes.writeBytes(row(base + r));
      }
      byte[] data = bytes.toByteArray();
      Position next = new BinlogPosition(end + 1);
      if (packNo++ % 3 == 2) {
        int cut = data.length / 2 + 1;
        packs.add(new RowPack(Arrays.copyOfRange(data, 0, cut), null));
        packs.add(new RowPack(Arrays.copyOfRange(data, cut, data.length), next));
      } else {
        packs.add(new RowPack(data, next));
      }
    }
    Source<RowPack, NotUsed> source = Source.from(packs);
    if (!perPack.isZero()) {
      source = source.throttle(1, perPack);
    }
    if (!completes) {
      source = source.concat(Source.<RowPack>never().mapMaterializedValue(m -> NotUsed.getInstance()));
    }
    return CompletableFuture.completedFuture(source);
  }
}
