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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A row source for subtask unit tests: rows {@code (id bigint, name string)} with ids 0..n-1, encoded in the
 * OpenMLDB row format, {@code rowsPerPack} rows per pack, and every third pack split in the middle of a row (the
 * first half without a position) as collectors do for large rows. Row {@code i} is at binlog position
 * {@code i + 1}; opening from a position serves the rows from there on, so reopened streams resume exactly.
 */
final class RowFeed implements RowSource {

  static final List<Column> COLUMNS = List.of(Column.of("id", ColumnType.BIGINT), Column.of("name", ColumnType.STRING));

  private final int rows;
  private final int rowsPerPack;
  private final boolean completes;

  RowFeed(int rows, int rowsPerPack, boolean completes) {
    this.rows = rows;
    this.rowsPerPack = rowsPerPack;
    this.completes = completes;
  }

  static NS.TableInfo table(int tid) {
    return NS.TableInfo.newBuilder()
        .setName("t1")
        .setDb("db1")
        .setTid(tid)
        .setPartitionNum(1)
        .setStorageMode(Common.StorageMode.kSSD)
        .addColumnDesc(Common.ColumnDesc.newBuilder().setName("id").setDataType(Type.DataType.kBigInt))
        .addColumnDesc(Common.ColumnDesc.newBuilder().setName("name").setDataType(Type.DataType.kString))
        .addColumnKey(Common.ColumnKey.newBuilder().setIndexName("idx0").addColName("id"))
        .addTablePartition(NS.TablePartition.newBuilder().setPid(0)
            .addPartitionMeta(NS.PartitionMeta.newBuilder().setEndpoint("127.0.0.1:9527").setIsLeader(true)))
        .build();
  }

  static List<Long> ids(int n) {
    List<Long> ids = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      ids.add(i);
    }
    return ids;
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
    for (int i = first; i < rows; i += rowsPerPack) {
      int end = Math.min(rows, i + rowsPerPack);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      for (int r = i; r < end; r++) {
        bytes.writeBytes(row(r));
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
    if (!completes) {
      source = source.concat(Source.<RowPack>never().mapMaterializedValue(m -> NotUsed.getInstance()));
    }
    return CompletableFuture.completedFuture(source);
  }
}
