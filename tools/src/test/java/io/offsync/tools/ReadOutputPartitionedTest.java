package io.offsync.tools;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/offsync-read} on a time-partitioned destination: part files in {@code <field>=<value>/} directories
 * are listed with their directory and counted; offsync's {@code _groups/}, {@code _tmp/} and hidden commit records
 * are not.
 */
class ReadOutputPartitionedTest {

  @TempDir Path tmp;

  @Test
  void listsAndCountsThePartFilesOfEveryPartitionDirectory() throws Exception {
    Path day1 = Files.createDirectories(tmp.resolve("ts_day=2026-12-04"));
    Path none = Files.createDirectories(tmp.resolve("ts_day=__HIVE_DEFAULT_PARTITION__"));
    Files.writeString(day1.resolve("part-7-0-0000000000.csv"), "1,\"a\"\n2,\"b\"\n");
    Files.writeString(day1.resolve(".part-7-0-0000000000.csv.commit"), "offsync.seq=0\n");
    Files.writeString(none.resolve("part-7-0-0000000000.csv"), "3,null\n");
    Files.createDirectories(tmp.resolve("_groups")).resolve("part-7-0-0000000000.csv.group").toFile()
        .createNewFile();
    Files.writeString(Files.createDirectories(tmp.resolve("_tmp"))
        .resolve("ts_day=2026-12-05.part-7-0-0000000001.csv.x1.inprogress"), "4,\"d\"\n");

    String out = ReadOutputIcebergTest.run(tmp.toUri().toString(), "-n", "1");
    assertTrue(out.contains("ts_day=2026-12-04/part-7-0-0000000000.csv"), out);
    assertTrue(out.contains("ts_day=__HIVE_DEFAULT_PARTITION__/part-7-0-0000000000.csv"), out);
    assertTrue(out.contains("2 files, 3 rows"), out);
    assertTrue(out.contains("first rows of ts_day=2026-12-04/part-7-0-0000000000.csv:\n  1,\"a\""), out);
  }
}
