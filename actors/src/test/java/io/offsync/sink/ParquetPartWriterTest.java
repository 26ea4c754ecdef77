package io.offsync.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.testkit.RandomRows;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.filter2.predicate.FilterApi;
import org.apache.parquet.filter2.predicate.FilterPredicate;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.internal.column.columnindex.ColumnIndex;
import org.apache.parquet.internal.column.columnindex.OffsetIndex;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.PrimitiveType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The columnar Parquet writer against parquet-mr's own reader: random rows over every column type and three schema
 * versions ({@link RandomRows}), half given encoded and half as values, several row groups and pages, read back value
 * by value; each column chunk's statistics compared with what parquet-mr's statistics objects make of the same
 * values fed one by one; page indexes consistent with the chunk; predicate pushdown (statistics, dictionary, column
 * index) returning exactly the matching rows. DuckDB reads the same kind of file in the tools module.
 */
class ParquetPartWriterTest {

  private static final int ROWS = 60_000;

  @TempDir
  Path dir;

  @Test
  void randomRowsReadBackWithTheirStatistics() throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration()).getRaw();
    org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.toUri().toString(), "random.parquet");
    List<Object[]> expected = write(fs, file, RandomRows.schema(), new RandomRows(42, ROWS), ROWS);
    List<Column> cols = RandomRows.ALL;

    List<List<Object>> read = ReadBack.parquet(fs, file, cols);
    assertEquals(ROWS, read.size());
    for (int i = 0; i < ROWS; i++) {
      assertEquals(Arrays.asList(expected.get(i)), read.get(i), "row " + i);
    }

    ParquetMetadata footer = ReadBack.footer(fs, file);
    assertTrue(footer.getBlocks().size() >= 2, "several row groups: " + footer.getBlocks().size());
    assertEquals("offsync", footer.getFileMetaData().getKeyValueMetaData().get("writer.model.name"));
    assertEquals(Long.toString(ROWS), footer.getFileMetaData().getKeyValueMetaData().get("offsync.rows"));
    Set<Encoding> valueEncodings = new HashSet<>();
    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, fs.getConf()))) {
      int first = 0;
      for (BlockMetaData block : footer.getBlocks()) {
        for (int c = 0; c < cols.size(); c++) {
          ColumnChunkMetaData chunk = block.getColumns().get(c);
          String where = "row group at row " + first + ", column " + cols.get(c).name();
          assertEquals(block.getRowCount(), chunk.getValueCount(), where);
          Statistics<?> oracle = oracle(chunk.getPrimitiveType(), expected, first, (int) block.getRowCount(), c);
          assertSameStatistics(oracle, chunk.getStatistics(), where);
          checkPageIndexes(reader.readColumnIndex(chunk), reader.readOffsetIndex(chunk), chunk, block, where);
          valueEncodings.addAll(chunk.getEncodings());
        }
        first += (int) block.getRowCount();
      }
    }
    assertTrue(valueEncodings.containsAll(List.of(Encoding.PLAIN, Encoding.PLAIN_DICTIONARY)), valueEncodings.toString());

    assertFiltered(fs, file, expected, FilterApi.eq(FilterApi.intColumn("num"), Integer.MAX_VALUE),
        r -> Integer.valueOf(Integer.MAX_VALUE).equals(r[4]));
    assertFiltered(fs, file, expected, FilterApi.eq(FilterApi.binaryColumn("few"), Binary.fromString("Zürich")),
        r -> "Zürich".equals(r[1]));
    String uniq = expected.stream().skip(ROWS / 2).map(r -> (String) r[9]).filter(u -> u != null).findFirst()
        .orElseThrow();
    assertFiltered(fs, file, expected, FilterApi.eq(FilterApi.binaryColumn("uniq"), Binary.fromString(uniq)),
        r -> uniq.equals(r[9]));
    assertFiltered(fs, file, expected, FilterApi.gt(FilterApi.longColumn("id"), (long) ROWS - 10),
        r -> (long) r[0] > ROWS - 10);
  }

  /** A dictionary-encoded chunk whose first page is all NULL, and a one-value dictionary, read back. */
  @Test
  void dictionaryChunkWithAPageOfNullsOnly() throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration()).getRaw();
    org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.toUri().toString(), "nulls.parquet");
    List<Column> cols = List.of(new Column("id", io.offsync.protocol.codec.ColumnType.BIGINT, true),
        Column.of("s", io.offsync.protocol.codec.ColumnType.STRING));
    int rows = ParquetPages.PAGE_ROWS + 5_000;
    PartWriter w = PartWriter.open(fs, file, cols, OutputFormat.PARQUET);
    for (int i = 0; i < rows; i++) {
      w.write(new Object[] {(long) i, i < ParquetPages.PAGE_ROWS ? null : "x"});
    }
    w.close(new CommitRecord("db.t|1|0", 1, 0, 0, "a", null, new BinlogPosition(rows), rows));
    ColumnChunkMetaData chunk = ReadBack.footer(fs, file).getBlocks().get(0).getColumns().get(1);
    assertTrue(chunk.getEncodings().contains(Encoding.PLAIN_DICTIONARY), chunk.getEncodings().toString());
    List<List<Object>> read = ReadBack.parquet(fs, file, cols);
    for (int i = 0; i < rows; i++) {
      assertEquals(Arrays.asList((long) i, i < ParquetPages.PAGE_ROWS ? null : "x"), read.get(i), "row " + i);
    }
  }

  /** Writes rows, alternating blocks given encoded and given as values; returns them in the latest columns. */
  static List<Object[]> write(FileSystem fs, org.apache.hadoop.fs.Path file, TableSchema schema, RandomRows rows,
      int count) throws IOException {
    List<Object[]> expected = new ArrayList<>(count);
    PartWriter w = PartWriter.open(fs, file, schema.latest(), OutputFormat.PARQUET);
    byte[] reused = new byte[0];
    for (int i = 0; i < count; i++) {
      RandomRows.Row row = rows.row(i);
      expected.add(row.latest());
      if ((i / 1000) % 2 == 0) {
        byte[] enc = RowCodec.encode(schema, row.version(), row.values());
        if (reused.length < enc.length + 3) {
          reused = new byte[enc.length + 3];
        }
        System.arraycopy(enc, 0, reused, 3, enc.length);
        w.writeEncoded(schema, reused, 3);
        Arrays.fill(reused, (byte) 0x5A); // the writer must have copied what it keeps
      } else {
        w.write(row.latest());
      }
    }
    w.close(new CommitRecord("db.t|1|0", 1, 0, 0, "a", null, new BinlogPosition(count), count));
    return expected;
  }

  /** What parquet-mr's own statistics make of the column's values in rows [first, first + n), fed one by one. */
  private static Statistics<?> oracle(PrimitiveType type, List<Object[]> rows, int first, int n, int column) {
    Statistics<?> s = Statistics.createStats(type);
    for (int i = first; i < first + n; i++) {
      Object v = rows.get(i)[column];
      if (v == null) {
        s.incrementNumNulls();
      } else if (v instanceof Boolean b) {
        s.updateStats(b);
      } else if (v instanceof Short x) {
        s.updateStats((int) x);
      } else if (v instanceof Integer x) {
        s.updateStats(x);
      } else if (v instanceof Long x) {
        s.updateStats(x);
      } else if (v instanceof Float x) {
        s.updateStats(x);
      } else if (v instanceof Double x) {
        s.updateStats(x);
      } else if (v instanceof LocalDate d) {
        s.updateStats(Math.toIntExact(d.toEpochDay()));
      } else {
        s.updateStats(Binary.fromConstantByteArray(((String) v).getBytes(StandardCharsets.UTF_8)));
      }
    }
    return s;
  }

  private static void assertSameStatistics(Statistics<?> want, Statistics<?> got, String where) {
    assertEquals(want.getNumNulls(), got.getNumNulls(), where + ": null count");
    // parquet-mr leaves min and max out of the footer when together they pass 4 KiB
    boolean kept = want.hasNonNullValue() && want.isSmallerThan(4096);
    assertEquals(kept, got.hasNonNullValue(), where + ": has a min/max");
    if (kept) {
      // the bytes compare -0.0 and +0.0 apart
      assertEquals(Arrays.toString(want.getMinBytes()), Arrays.toString(got.getMinBytes()), where + ": min " + got);
      assertEquals(Arrays.toString(want.getMaxBytes()), Arrays.toString(got.getMaxBytes()), where + ": max " + got);
    }
  }

  /** Pages: null counts add up to the chunk's, the chunk's min/max are among the pages', rows add up. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void checkPageIndexes(ColumnIndex index, OffsetIndex offsets, ColumnChunkMetaData chunk,
      BlockMetaData block, String where) {
    long pageRows = 0;
    for (int p = 0; p < offsets.getPageCount(); p++) {
      long last = p + 1 < offsets.getPageCount() ? offsets.getFirstRowIndex(p + 1) : block.getRowCount();
      assertTrue(last - offsets.getFirstRowIndex(p) <= ParquetPages.PAGE_ROWS, where + ": page of too many rows");
      pageRows += last - offsets.getFirstRowIndex(p);
    }
    assertEquals(block.getRowCount(), pageRows, where + ": rows of the pages");
    if (index == null) {
      return;
    }
    Statistics stats = chunk.getStatistics();
    long nulls = 0;
    boolean minFound = false;
    boolean maxFound = false;
    for (int p = 0; p < index.getNullPages().size(); p++) {
      nulls += index.getNullCounts().get(p);
      if (!index.getNullPages().get(p) && stats.hasNonNullValue()) {
        minFound |= Arrays.equals(index.getMinValues().get(p).array(), stats.getMinBytes());
        maxFound |= Arrays.equals(index.getMaxValues().get(p).array(), stats.getMaxBytes());
      }
    }
    assertEquals(stats.getNumNulls(), nulls, where + ": null counts of the pages");
    if (stats.hasNonNullValue() && chunk.getPrimitiveType().getPrimitiveTypeName()
        != PrimitiveType.PrimitiveTypeName.BINARY) { // the index truncates long strings
      assertTrue(minFound && maxFound, where + ": the chunk's min and max are some page's");
    }
  }

  /** Reads with a pushed-down filter: exactly the rows {@code matches} accepts come back. */
  private static void assertFiltered(FileSystem fs, org.apache.hadoop.fs.Path file, List<Object[]> rows,
      FilterPredicate predicate, Predicate<Object[]> matches) throws IOException {
    List<Long> want = new ArrayList<>();
    for (Object[] r : rows) {
      if (matches.test(r)) {
        want.add((Long) r[0]);
      }
    }
    List<Long> got = new ArrayList<>();
    try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), file).withConf(fs.getConf())
        .withFilter(FilterCompat.get(predicate)).build()) {
      for (Group g = r.read(); g != null; g = r.read()) {
        got.add(g.getLong("id", 0));
      }
    }
    assertTrue(!want.isEmpty(), "the filter matches rows: " + predicate);
    assertEquals(want, got, "rows matching " + predicate);
  }
}
