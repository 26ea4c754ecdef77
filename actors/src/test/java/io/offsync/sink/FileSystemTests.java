package io.offsync.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.position.BinlogPosition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
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
 * Part writers and commit operations against a real file system; run on the local file system and on a
 * MiniDFSCluster by the subclasses.
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class FileSystemTests {

  private ActorTestKit kit;

  @BeforeAll
  void startKit() {
    kit = ActorTestKit.create(getClass().getSimpleName());
  }

  @AfterAll
  void stopKit() {
    kit.shutdownTestKit();
  }

  abstract FileSystem fs();

  abstract Path root();

  Path newDest() {
    return new Path(root(), "dest-" + UUID.randomUUID());
  }

  static void writeFile(FileSystem fs, Path p, String content) throws IOException {
    try (FSDataOutputStream out = fs.create(p, true)) {
      out.write(content.getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void parquetRoundTripOfEveryType() throws IOException {
    Path file = new Path(newDest(), "x.parquet");
    List<Object[]> rows = Fixtures.rows(0, 500);
    PartWriter w = PartWriter.open(fs(), file, Fixtures.ALL_TYPES, OutputFormat.PARQUET);
    for (Object[] r : rows) {
      w.write(r);
    }
    assertEquals(500, w.rows());
    long len = w.close(record(7, "a1"));
    assertEquals(fs().getFileStatus(file).getLen(), len);
    assertEquals(record(7, "a1"), CommittedFile.read(fs(), file).orElseThrow().record(), "the record is in the footer");
    assertEquals(500, CommittedFile.read(fs(), file).orElseThrow().countRows(fs()));

    List<List<Object>> back = ReadBack.parquet(fs(), file, Fixtures.ALL_TYPES);
    assertEquals(rows.size(), back.size());
    for (int i = 0; i < rows.size(); i++) {
      assertEquals(Fixtures.padded(rows.get(i), Fixtures.ALL_TYPES.size()), back.get(i), "row " + i);
    }
    assertTrue(back.stream().anyMatch(r -> r.contains(null)), "the fixture has nulls");

    ParquetMetadata footer = ReadBack.footer(fs(), file);
    MessageType schema = footer.getFileMetaData().getSchema();
    assertEquals(PrimitiveTypeName.INT64, schema.getType("id").asPrimitiveType().getPrimitiveTypeName());
    assertEquals(LogicalTypeAnnotation.stringType(), schema.getType("name").getLogicalTypeAnnotation());
    assertEquals(PrimitiveTypeName.BOOLEAN, schema.getType("ok").asPrimitiveType().getPrimitiveTypeName());
    assertEquals(LogicalTypeAnnotation.intType(16, true), schema.getType("small").getLogicalTypeAnnotation());
    assertEquals(PrimitiveTypeName.INT32, schema.getType("num").asPrimitiveType().getPrimitiveTypeName());
    assertEquals(PrimitiveTypeName.FLOAT, schema.getType("f").asPrimitiveType().getPrimitiveTypeName());
    assertEquals(PrimitiveTypeName.DOUBLE, schema.getType("d").asPrimitiveType().getPrimitiveTypeName());
    assertEquals(LogicalTypeAnnotation.dateType(), schema.getType("day").getLogicalTypeAnnotation());
    assertEquals(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MILLIS),
        schema.getType("at").getLogicalTypeAnnotation());
    assertEquals(LogicalTypeAnnotation.stringType(), schema.getType("note").getLogicalTypeAnnotation());
    for (BlockMetaData b : footer.getBlocks()) {
      for (ColumnChunkMetaData c : b.getColumns()) {
        assertEquals(CompressionCodecName.SNAPPY, c.getCodec());
      }
    }
  }

  /**
   * Rows written from their encoded bytes (the sink's path) read back as the same values, with every row encoded
   * into one reused buffer that is overwritten after each write: Parquet must copy whatever it keeps (dictionary,
   * statistics) rather than point into the buffer.
   */
  @Test
  void parquetFromEncodedRowsInOneReusedBuffer() throws IOException {
    Path file = new Path(newDest(), "x.parquet");
    List<Object[]> rows = Fixtures.rows(0, 500);
    TableSchema schema = TableSchema.of("db.t (tid 1)", Fixtures.ALL_TYPES);
    byte[] buf = new byte[1 << 16];
    PartWriter w = PartWriter.open(fs(), file, Fixtures.ALL_TYPES, OutputFormat.PARQUET);
    for (Object[] r : rows) {
      byte[] row = RowCodec.encode(schema, 1, r);
      System.arraycopy(row, 0, buf, 100, row.length);
      w.writeEncoded(schema, buf, 100);
      java.util.Arrays.fill(buf, (byte) 0x5a);
    }
    w.close(record(7, "a1"));
    List<List<Object>> back = ReadBack.parquet(fs(), file, Fixtures.ALL_TYPES);
    assertEquals(rows.size(), back.size());
    for (int i = 0; i < rows.size(); i++) {
      assertEquals(Fixtures.padded(rows.get(i), Fixtures.ALL_TYPES.size()), back.get(i), "row " + i);
    }
  }

  @Test
  void csvRoundTripMatchesTheOriginalsLines() throws IOException {
    Path file = new Path(newDest(), "x.csv");
    List<Object[]> rows = Fixtures.rows(0, 300);
    PartWriter w = PartWriter.open(fs(), file, Fixtures.ALL_TYPES, OutputFormat.CSV);
    StringBuilder expected = new StringBuilder();
    for (Object[] r : rows) {
      w.write(r);
      expected.append(Fixtures.expectedCsvLine(Fixtures.ALL_TYPES, r));
    }
    long bytesBefore = w.bytes();
    long len = w.close(record(7, "a1"));
    assertEquals(bytesBefore, len);
    String text = ReadBack.text(fs(), file);
    assertEquals(expected.toString(), text);
    assertEquals(text.getBytes(StandardCharsets.UTF_8).length, len);
    assertEquals(fs().getFileStatus(file).getLen(), len);
    assertEquals(300, new CommittedFile(file, len, null).countRows(fs()));
  }

  @Test
  void abortDeletesTheFile() throws IOException {
    Path dest = newDest();
    for (OutputFormat f : List.of(OutputFormat.PARQUET, OutputFormat.CSV)) {
      Path file = new Path(dest, "x." + f.extension());
      PartWriter w = PartWriter.open(fs(), file, Fixtures.ALL_TYPES, f);
      w.write(Fixtures.row(1));
      w.abort();
      assertFalse(fs().exists(file), f + " file still there after abort");
    }
  }

  static CommitRecord record(long seq, String attempt) {
    return new CommitRecord("db.t|1|2", 1, 2, seq, attempt, new BinlogPosition(4), new BinlogPosition(10), 1);
  }

  private RolledFile rolled(Path dest, long seq, String attempt) {
    return new RolledFile(seq, FileNames.tmpPath(dest, 1, 2, seq, OutputFormat.CSV, attempt),
        FileNames.finalPath(dest, 1, 2, seq, OutputFormat.CSV), new BinlogPosition(10), 1, 5, record(seq, attempt));
  }

  @Test
  void commitRenamesAndIsIdempotentInEveryCrashState() throws IOException {
    Path dest = newDest();
    RolledFile f = rolled(dest, 3, "a1");

    // crash before the rename: only the tmp file exists
    writeFile(fs(), f.tmp(), "rows\n");
    assertEquals(CommitOps.Outcome.RENAMED, CommitOps.commit(fs(), f));
    assertFalse(fs().exists(f.tmp()));
    assertEquals("rows\n", ReadBack.text(fs(), f.finalPath()));
    assertEquals(f.record(), CommittedFile.read(fs(), f.finalPath()).orElseThrow().record(), "the CSV sidecar");

    // crash after the rename, before FileCommitted: only the final file exists
    assertEquals(CommitOps.Outcome.ALREADY_COMMITTED, CommitOps.commit(fs(), f));
    assertEquals("rows\n", ReadBack.text(fs(), f.finalPath()));

    // neither: an error naming both paths
    RolledFile lost = rolled(dest, 4, "a1");
    IOException e = assertThrows(IOException.class, () -> CommitOps.commit(fs(), lost));
    assertTrue(e.getMessage().contains(lost.tmp().toString()) && e.getMessage().contains(
        lost.finalPath().toString()), e.getMessage());
  }

  /**
   * The bug of issue 8: the journal forgot a commit, and a new attempt at the same sequence finds the final name
   * taken while its own tmp file is there. The commit must neither confirm the other file nor delete anything.
   */
  @Test
  void aFinalFileOfAnotherAttemptIsNeverConfirmedNorDeleted() throws IOException {
    Path dest = newDest();
    RolledFile first = rolled(dest, 3, "a1");
    writeFile(fs(), first.tmp(), "old rows\n");
    assertEquals(CommitOps.Outcome.RENAMED, CommitOps.commit(fs(), first));

    RolledFile second = rolled(dest, 3, "b2");
    writeFile(fs(), second.tmp(), "new rows\nand more\n");
    FinalNameTakenException e = assertThrows(FinalNameTakenException.class, () -> CommitOps.commit(fs(), second));
    assertEquals(first.record(), e.found().record());
    assertTrue(e.getMessage().contains("attempt a1") && e.getMessage().contains(second.tmp().getName()),
        e.getMessage());
    assertEquals("old rows\n", ReadBack.text(fs(), first.finalPath()));
    assertEquals("new rows\nand more\n", ReadBack.text(fs(), second.tmp()), "the new attempt's tmp file stays");

    // the same without the tmp file (deleted meanwhile): still no confirmation
    fs().delete(second.tmp(), false);
    assertThrows(FinalNameTakenException.class, () -> CommitOps.commit(fs(), second));
  }

  @Test
  void aFinalFileWithoutRecordCountsAsCommittedOnlyWithTheJournaledLength() throws IOException {
    Path dest = newDest();
    RolledFile f = rolled(dest, 5, "a1"); // journaled: 5 bytes
    writeFile(fs(), f.finalPath(), "rows\n");
    assertEquals(CommitOps.Outcome.ALREADY_COMMITTED, CommitOps.commit(fs(), f));
    writeFile(fs(), f.finalPath(), "other\n");
    assertThrows(FinalNameTakenException.class, () -> CommitOps.commit(fs(), f));
  }

  @Test
  void strayTmpFilesOfThePartitionAreDeletedExceptTheKeptOnes() throws IOException {
    Path dest = newDest();
    assertEquals(List.of(), CommitOps.deleteStrayTmp(fs(), dest, 1, 2, Set.of()), "no _tmp dir yet");
    List<Path> mine = new ArrayList<>();
    for (long seq = 3; seq <= 5; seq++) {
      Path p = FileNames.tmpPath(dest, 1, 2, seq, seq == 5 ? OutputFormat.PARQUET : OutputFormat.CSV);
      writeFile(fs(), p, "x");
      mine.add(p);
    }
    Path otherPartition = FileNames.tmpPath(dest, 1, 22, 3, OutputFormat.CSV);
    Path otherTable = FileNames.tmpPath(dest, 11, 2, 3, OutputFormat.CSV);
    Path committed = FileNames.finalPath(dest, 1, 2, 2, OutputFormat.CSV);
    for (Path p : List.of(otherPartition, otherTable, committed)) {
      writeFile(fs(), p, "x");
    }

    List<Path> deleted = CommitOps.deleteStrayTmp(fs(), dest, 1, 2, Set.of(4L));
    assertEquals(Set.of(fs().makeQualified(mine.get(0)), fs().makeQualified(mine.get(2))),
        Set.copyOf(deleted.stream().map(fs()::makeQualified).toList()));
    assertTrue(fs().exists(mine.get(1)));
    for (Path p : List.of(otherPartition, otherTable, committed)) {
      assertTrue(fs().exists(p), p + " must stay");
    }
    CommitOps.deleteStrayTmp(fs(), dest, 1, 2, Set.of());
    assertFalse(fs().exists(mine.get(1)));
    FileStatus[] left = fs().listStatus(FileNames.tmpDir(dest));
    assertEquals(2, left.length);
  }

  @Test
  void writableDestinationPassesAndLeavesNoProbe() throws IOException {
    Path dest = new Path(newDest(), "a/b");
    CommitOps.checkWritable(fs(), dest);
    assertTrue(fs().getFileStatus(FileNames.tmpDir(dest)).isDirectory());
    assertEquals(0, fs().listStatus(FileNames.tmpDir(dest)).length);
    assertEquals(1, fs().listStatus(dest).length, "only _tmp");
  }

  @Test
  void destinationThatIsAFileIsRefused() throws IOException {
    Path dest = newDest();
    writeFile(fs(), dest, "I am a file");
    DestinationException e = assertThrows(DestinationException.class, () -> CommitOps.checkWritable(fs(), dest));
    assertTrue(e.getMessage().contains("is a file, not a directory"), e.getMessage());

    Path below = new Path(dest, "sub");
    e = assertThrows(DestinationException.class, () -> CommitOps.checkWritable(fs(), below));
    assertTrue(e.getMessage().contains(below.getName()), e.getMessage());

    Path withTmpFile = newDest();
    writeFile(fs(), FileNames.tmpDir(withTmpFile), "x");
    e = assertThrows(DestinationException.class, () -> CommitOps.checkWritable(fs(), withTmpFile));
    assertTrue(e.getMessage().contains("has a file named _tmp"), e.getMessage());
  }

  /** Rows through the flow in two runs (the second as after a restart, from the next seq), committed, read back. */
  @Test
  void sinkFlowThenCommitYieldsEveryRowOnce() throws Exception {
    Path dest = newDest();
    CommitOps.checkWritable(fs(), dest);
    RollPolicy roll = new RollPolicy(48 * 1024, java.time.Duration.ofMinutes(1), java.time.Duration.ofMinutes(1));
    List<RolledFile> files = new ArrayList<>(runFlow(Streams.wholeRowPacks(0, 2000, 25, Streams::binlog), dest,
        roll, 0));
    long nextSeq = files.get(files.size() - 1).seq() + 1;
    files.addAll(runFlow(Streams.packs(2000, 1000, 1999, Streams::binlog), dest, roll, nextSeq));
    assertTrue(files.size() >= 3, "files " + files.size());
    List<List<Object>> back = new ArrayList<>();
    for (int k = 0; k < files.size(); k++) {
      RolledFile f = files.get(k);
      assertEquals(k, f.seq());
      assertEquals(fs().getFileStatus(f.tmp()).getLen(), f.bytes());
      assertEquals(CommitOps.Outcome.RENAMED, CommitOps.commit(fs(), f));
      back.addAll(ReadBack.parquet(fs(), f.finalPath(), Fixtures.ALL_TYPES));
    }
    List<List<Object>> expected = new ArrayList<>();
    for (long i = 0; i < 3000; i++) {
      expected.add(Streams.expected(i));
    }
    assertEquals(expected, back);
    assertEquals(List.of(), CommitOps.deleteStrayTmp(fs(), dest, Streams.TID, Streams.PID, Set.of()));
  }

  private List<RolledFile> runFlow(List<io.offsync.collector.RowPack> packs, Path dest, RollPolicy roll,
      long firstSeq) throws Exception {
    return Source.from(packs)
        .via(CommitSink.flow(fs(), dest, Streams.TID, Streams.PID, Streams.schema(), OutputFormat.PARQUET, roll,
            firstSeq))
        .runWith(Sink.seq(), kit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
