package io.offsync.tools;

import io.offsync.sink.FileNames;
import java.io.IOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.HadoopReadOptions;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Reads what a sync task committed into a destination directory: the final {@code part-<tid>-<pid>-<seq>.parquet}
 * files, directly in it or in its Hive-style partition directories (the {@code _tmp/} directory of files in
 * progress and the {@code _groups/} markers are never read). Values come back as the row codec's
 * Java types (Long epoch ms for timestamps, {@link LocalDate} for dates, null for NULL), so they compare directly
 * with {@code TabletFixture.expectedRows}. Streams row by row; memory does not grow with the output.
 */
public final class OutputFiles {

  private OutputFiles() {}

  /**
   * Committed part files of {@code dir}, by name (tid, pid, sequence), and those of its Hive-style partition
   * directories ({@code <field>=<value>/}, written with {@code --partition-by}), by directory and name. Missing
   * directory = none.
   */
  public static List<FileStatus> committed(FileSystem fs, Path dir) throws IOException {
    if (!fs.exists(dir)) {
      return List.of();
    }
    List<FileStatus> files = new ArrayList<>();
    for (FileStatus s : fs.listStatus(dir)) {
      String name = s.getPath().getName();
      if (s.isFile() && name.startsWith("part-") && !s.getPath().getParent().getName().equals(FileNames.TMP_DIR)) {
        files.add(s);
      } else if (isPartitionDirectory(s)) {
        for (FileStatus f : fs.listStatus(s.getPath())) {
          if (f.isFile() && f.getPath().getName().startsWith("part-")) {
            files.add(f);
          }
        }
      }
    }
    files.sort(Comparator.comparing(OutputFiles::displayName));
    return files;
  }

  /** A part file's name, under its partition directory when it has one ({@code ts_day=2026-12-04/part-…}). */
  public static String displayName(FileStatus file) {
    String dir = file.getPath().getParent().getName();
    return dir.contains("=") ? dir + "/" + file.getPath().getName() : file.getPath().getName();
  }

  private static boolean isPartitionDirectory(FileStatus s) {
    String name = s.getPath().getName();
    return s.isDirectory() && name.contains("=") && !name.startsWith("_") && !name.startsWith(".");
  }

  /**
   * A footer reader with read options taken from {@code conf}: Parquet's default options would build (and parse)
   * a new Hadoop Configuration on every open, which made polling row counts cost more than reading the footers.
   */
  private static ParquetFileReader open(Configuration conf, Path file) throws IOException {
    return ParquetFileReader.open(HadoopInputFile.fromPath(file, conf), HadoopReadOptions.builder(conf).build());
  }

  /** Row count of one Parquet file, from its footer. */
  public static long rowCount(Configuration conf, Path file) throws IOException {
    try (ParquetFileReader r = open(conf, file)) {
      return r.getRecordCount();
    }
  }

  /** Total rows of the committed Parquet files of {@code dir} (footers only). */
  public static long totalRows(FileSystem fs, Path dir) throws IOException {
    long n = 0;
    for (FileStatus s : committed(fs, dir)) {
      if (s.getPath().getName().endsWith(".parquet")) {
        n += rowCount(fs.getConf(), s.getPath());
      }
    }
    return n;
  }

  /** Column names of a Parquet file. */
  public static List<String> columns(Configuration conf, Path file) throws IOException {
    try (ParquetFileReader r = open(conf, file)) {
      return r.getFooter().getFileMetaData().getSchema().getFields().stream().map(Type::getName).toList();
    }
  }

  /** Per column of a Parquet file: whether it is a timestamp (INT64 epoch milliseconds). */
  public static List<Boolean> timestampColumns(Configuration conf, Path file) throws IOException {
    try (ParquetFileReader r = open(conf, file)) {
      return r.getFooter().getFileMetaData().getSchema().getFields().stream()
          .map(t -> t.isPrimitive() && t.getLogicalTypeAnnotation()
              instanceof LogicalTypeAnnotation.TimestampLogicalTypeAnnotation)
          .toList();
    }
  }

  /** Calls {@code row} with the values of each row of a Parquet file, in file order. */
  public static void forEachRow(Configuration conf, Path file, Consumer<List<Object>> row) throws IOException {
    try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), file).withConf(conf).build()) {
      for (Group g = r.read(); g != null; g = r.read()) {
        row.accept(values(g));
      }
    }
  }

  /** Every row of every committed Parquet file of {@code dir} (for tests: the multiset to compare). */
  public static List<List<Object>> rows(FileSystem fs, Path dir) throws IOException {
    List<List<Object>> rows = new ArrayList<>();
    for (FileStatus s : committed(fs, dir)) {
      forEachRow(fs.getConf(), s.getPath(), rows::add);
    }
    return rows;
  }

  static List<Object> values(Group g) {
    MessageType schema = (MessageType) g.getType();
    Object[] v = new Object[schema.getFieldCount()];
    for (int i = 0; i < v.length; i++) {
      if (g.getFieldRepetitionCount(i) == 0) {
        continue;
      }
      PrimitiveType t = schema.getType(i).asPrimitiveType();
      LogicalTypeAnnotation logical = t.getLogicalTypeAnnotation();
      v[i] = switch (t.getPrimitiveTypeName()) {
        case BOOLEAN -> g.getBoolean(i, 0);
        case INT32 -> {
          int x = g.getInteger(i, 0);
          if (logical instanceof LogicalTypeAnnotation.DateLogicalTypeAnnotation) {
            yield LocalDate.ofEpochDay(x);
          }
          if (logical instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation it && it.getBitWidth() == 16) {
            yield (short) x;
          }
          yield x;
        }
        case INT64 -> g.getLong(i, 0);
        case FLOAT -> g.getFloat(i, 0);
        case DOUBLE -> g.getDouble(i, 0);
        case BINARY -> g.getString(i, 0);
        default -> g.getValueToString(i, 0);
      };
    }
    return Arrays.asList(v);
  }
}
