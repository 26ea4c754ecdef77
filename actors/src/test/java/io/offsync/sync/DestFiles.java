package io.offsync.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.offsync.sink.FileNames;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;

/** Reads committed part files back (CSV and Parquet) for the exactly-once assertions. */
final class DestFiles {

  private DestFiles() {}

  /** Committed files of partition (tid, pid), by name. */
  static List<Path> committed(FileSystem fs, Path dest, int tid, int pid) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!fs.exists(dest)) {
      return out;
    }
    for (FileStatus st : fs.listStatus(dest)) {
      String name = st.getPath().getName();
      if (st.isFile() && !name.endsWith(FileNames.TMP_SUFFIX) && FileNames.seqOf(name, tid, pid).isPresent()) {
        out.add(st.getPath());
      }
    }
    out.sort(null);
    return out;
  }

  /** The first column ({@code id} in every fixture) of every committed row of partition (tid, pid). */
  static List<Long> ids(FileSystem fs, Path dest, int tid, int pid) throws IOException {
    List<Long> ids = new ArrayList<>();
    for (Path p : committed(fs, dest, tid, pid)) {
      if (p.getName().endsWith(".csv")) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(fs.open(p), StandardCharsets.UTF_8))) {
          for (String line = r.readLine(); line != null; line = r.readLine()) {
            int comma = line.indexOf(',');
            ids.add(Long.parseLong(comma < 0 ? line : line.substring(0, comma)));
          }
        }
      } else {
        try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), p).withConf(fs.getConf()).build()) {
          for (Group g = r.read(); g != null; g = r.read()) {
            ids.add(g.getLong(0, 0));
          }
        }
      }
    }
    return ids;
  }

  /** Files still under {@code <dest>/_tmp} (any partition). */
  static List<Path> tmpFiles(FileSystem fs, Path dest) throws IOException {
    List<Path> out = new ArrayList<>();
    Path tmp = FileNames.tmpDir(dest);
    if (fs.exists(tmp)) {
      for (FileStatus st : fs.listStatus(tmp)) {
        out.add(st.getPath());
      }
    }
    return out;
  }

  /** Committed rows of (tid, pid) are exactly {@code expected} (as a multiset) and no tmp file is left. */
  static void assertExactlyOnce(FileSystem fs, Path dest, int tid, int pid, List<Long> expected) throws IOException {
    List<Long> got = ids(fs, dest, tid, pid);
    got.sort(null);
    List<Long> want = new ArrayList<>(expected);
    want.sort(null);
    assertEquals(want.size(), got.size(), "committed row count of partition " + pid);
    assertEquals(want, got, "committed rows of partition " + pid);
    assertEquals(List.of(), tmpFiles(fs, dest), "stray tmp files in " + dest);
  }

  static void assertExactlyOnce(java.nio.file.Path localDest, int tid, int pid, List<Long> expected)
      throws IOException {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    assertExactlyOnce(fs, new Path(localDest.toUri()), tid, pid, expected);
  }
}
