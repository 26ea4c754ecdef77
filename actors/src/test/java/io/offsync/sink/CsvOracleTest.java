package io.offsync.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com._4paradigm.openmldb.common.codec.ClassicRowBuilder;
import com._4paradigm.openmldb.common.codec.RowView;
import com._4paradigm.openmldb.proto.Common;
import com._4paradigm.openmldb.proto.Type;
import io.offsync.collector.RowPack;
import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.position.BinlogPosition;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TimeZone;
import java.util.concurrent.TimeUnit;
import org.apache.commons.lang3.StringEscapeUtils;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * CSV compatibility against OpenMLDB's published classes: rows encoded with {@code ClassicRowBuilder} go through
 * the sink, and each output line must equal the original SyncTool's line for that row, which is the values of
 * {@code RowView.getValue} joined by commas, NULL as {@code null}, strings as {@code "} + commons-lang3
 * {@code escapeJson} + {@code "}, everything else (java.sql.Date, java.sql.Timestamp, boxed numbers) by
 * {@code toString()}; in a non-UTC JVM zone.
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CsvOracleTest {

  private static final List<Column> COLUMNS = Streams.V1;
  private static final List<Common.ColumnDesc> DESCS = descs();

  private ActorTestKit kit;
  private TimeZone savedZone;

  @BeforeAll
  void start() {
    savedZone = TimeZone.getDefault();
    TimeZone.setDefault(TimeZone.getTimeZone("Asia/Shanghai"));
    kit = ActorTestKit.create("CsvOracleTest");
  }

  @AfterAll
  void stop() {
    kit.shutdownTestKit();
    TimeZone.setDefault(savedZone);
  }

  private static List<Common.ColumnDesc> descs() {
    List<Common.ColumnDesc> out = new ArrayList<>();
    for (Column c : COLUMNS) {
      out.add(Common.ColumnDesc.newBuilder().setName(c.name())
          .setDataType(Type.DataType.valueOf(c.type().dataType().name())).setNotNull(c.notNull()).build());
    }
    return out;
  }

  private static byte[] encodeOfficially(Object[] values) throws Exception {
    ClassicRowBuilder b = new ClassicRowBuilder(DESCS, 1);
    ByteBuffer buf = ByteBuffer.allocate(b.calTotalLength(Arrays.asList(values))).order(ByteOrder.LITTLE_ENDIAN);
    b.setBuffer(buf, buf.capacity());
    for (int i = 0; i < values.length; i++) {
      Object v = values[i];
      boolean ok = v == null ? b.appendNULL() : switch (COLUMNS.get(i).type()) {
        case BOOL -> b.appendBool((Boolean) v);
        case SMALLINT -> b.appendSmallInt((Short) v);
        case INT -> b.appendInt((Integer) v);
        case BIGINT -> b.appendBigInt((Long) v);
        case FLOAT -> b.appendFloat((Float) v);
        case DOUBLE -> b.appendDouble((Double) v);
        case DATE -> b.appendDate(Date.valueOf((LocalDate) v));
        case TIMESTAMP -> b.appendTimestamp(new Timestamp((Long) v));
        case VARCHAR, STRING -> b.appendString((String) v);
      };
      if (!ok) {
        throw new AssertionError("ClassicRowBuilder refused column " + i);
      }
    }
    return buf.array();
  }

  @SuppressWarnings("deprecation")
  private static String originalLine(byte[] row) throws Exception {
    RowView view = new RowView(DESCS);
    view.reset(ByteBuffer.wrap(row).order(ByteOrder.LITTLE_ENDIAN), row.length);
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < COLUMNS.size(); i++) {
      Object v = view.getValue(i, DESCS.get(i).getDataType());
      parts.add(v == null ? "null" : v instanceof String s ? "\"" + StringEscapeUtils.escapeJson(s) + "\"" : v.toString());
    }
    return String.join(",", parts) + "\n";
  }

  @Test
  void sinkLinesEqualTheOriginalsLinesForOfficiallyEncodedRows() throws Exception {
    java.nio.file.Path dir = Files.createTempDirectory(Paths.get("target"), "sink-oracle-");
    FileSystem fs = FileSystem.get(dir.toAbsolutePath().toUri(), new Configuration());
    Path dest = new Path(dir.toAbsolutePath().toUri());
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    StringBuilder expected = new StringBuilder();
    int n = 2000;
    for (int i = 0; i < n; i++) {
      byte[] row = encodeOfficially(Arrays.copyOf(Fixtures.row(i), COLUMNS.size()));
      stream.writeBytes(row);
      expected.append(originalLine(row));
    }
    byte[] all = stream.toByteArray();
    List<RowPack> packs = new ArrayList<>();
    for (int off = 0; off < all.length; off += 4096) {
      int end = Math.min(all.length, off + 4096);
      packs.add(new RowPack(Arrays.copyOfRange(all, off, end), end == all.length ? new BinlogPosition(n + 1) : null));
    }
    try {
      List<RolledFile> files = Source.from(packs)
          .via(CommitSink.flow(fs, dest, 1, 0, TableSchema.of("t", COLUMNS), OutputFormat.CSV, RollPolicy.DEFAULT, 0))
          .runWith(Sink.seq(), kit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertEquals(1, files.size());
      CommitOps.commit(fs, files.get(0));
      assertEquals(expected.toString(), ReadBack.text(fs, files.get(0).finalPath()));
    } finally {
      fs.delete(dest, true);
    }
  }
}
