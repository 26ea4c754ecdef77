package io.offsync.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;

class FileNamesTest {

  private final Path dest = new Path("hdfs://nn:8020/warehouse/t1");

  @Test
  void finalAndTmpNamesCarryTidPidAndZeroPaddedSeq() {
    assertEquals(new Path("hdfs://nn:8020/warehouse/t1/part-7-3-0000000042.parquet"),
        FileNames.finalPath(dest, 7, 3, 42, OutputFormat.PARQUET));
    assertEquals(new Path("hdfs://nn:8020/warehouse/t1/_tmp/part-7-3-0000000042.csv.inprogress"),
        FileNames.tmpPath(dest, 7, 3, 42, OutputFormat.CSV));
    assertEquals(new Path("hdfs://nn:8020/warehouse/t1/_tmp/part-7-3-0000000042.csv.k3x9.inprogress"),
        FileNames.tmpPath(dest, 7, 3, 42, OutputFormat.CSV, "k3x9"));
    assertThrows(IllegalArgumentException.class, () -> FileNames.tmpPath(dest, 7, 3, 42, OutputFormat.CSV, "a/b"));
    assertEquals("part-1-0-12345678901.csv", FileNames.name(1, 0, 12_345_678_901L, OutputFormat.CSV));
    assertThrows(IllegalArgumentException.class, () -> FileNames.name(1, 0, -1, OutputFormat.CSV));
  }

  @Test
  void seqOfMatchesOnlyTheGivenPartition() {
    assertEquals(OptionalLong.of(42), FileNames.seqOf("part-7-3-0000000042.parquet", 7, 3));
    assertEquals(OptionalLong.of(42), FileNames.seqOf("part-7-3-0000000042.csv.inprogress", 7, 3));
    assertEquals(OptionalLong.of(42), FileNames.seqOf("part-7-3-0000000042.parquet.k3x9.inprogress", 7, 3));
    assertEquals(OptionalLong.of(42), FileNames.seqOf("ts_day=2026-12-04.part-7-3-0000000042.csv.k3x9.inprogress", 7,
        3), "a group member's tmp file");
    assertEquals(OptionalLong.of(42), FileNames.seqOf("part-7-3-0000000042.csv.group", 7, 3), "a group's marker");
    assertTrue(FileNames.isMemberTmp("ts_day=2026-12-04.part-7-3-0000000042.csv.k3x9.inprogress"));
    assertTrue(!FileNames.isMemberTmp("part-7-3-0000000042.csv.k3x9.inprogress"));
    assertTrue(FileNames.seqOf("part-7-3-0000000042.parquet.k3x9", 7, 3).isEmpty(), "an attempt only in tmp names");
    assertTrue(FileNames.seqOf("part-7-33-0000000042.parquet", 7, 3).isEmpty());
    assertTrue(FileNames.seqOf("part-77-3-0000000042.parquet", 7, 3).isEmpty());
    assertTrue(FileNames.seqOf("part-7-3-42.parquet", 7, 3).isEmpty());
    assertTrue(FileNames.seqOf(".probe-x", 7, 3).isEmpty());
  }

  @Test
  void formatsParseByName() {
    assertEquals(OutputFormat.CSV, OutputFormat.parse(" CSV "));
    assertEquals(OutputFormat.PARQUET, OutputFormat.parse("parquet"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OutputFormat.parse("orc"));
    assertTrue(e.getMessage().contains("parquet, csv or iceberg"), e.getMessage());
  }
}
