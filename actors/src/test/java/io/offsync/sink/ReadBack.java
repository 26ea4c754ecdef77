package io.offsync.sink;

import io.offsync.protocol.codec.Column;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/** Reads part files back with independent readers: parquet-hadoop's example Group API, and plain text. */
final class ReadBack {

  private ReadBack() {}

  /** The rows of a Parquet file as the decoded Java types of the row codec, in the order of {@code columns}. */
  static List<List<Object>> parquet(FileSystem fs, Path file, List<Column> columns) throws IOException {
    List<List<Object>> rows = new ArrayList<>();
    try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), file).withConf(fs.getConf()).build()) {
      for (Group g = r.read(); g != null; g = r.read()) {
        Object[] row = new Object[columns.size()];
        for (int i = 0; i < columns.size(); i++) {
          String n = columns.get(i).name();
          if (g.getFieldRepetitionCount(n) == 0) {
            continue;
          }
          row[i] = switch (columns.get(i).type()) {
            case BOOL -> g.getBoolean(n, 0);
            case SMALLINT -> (short) g.getInteger(n, 0);
            case INT -> g.getInteger(n, 0);
            case BIGINT, TIMESTAMP -> g.getLong(n, 0);
            case FLOAT -> g.getFloat(n, 0);
            case DOUBLE -> g.getDouble(n, 0);
            case DATE -> LocalDate.ofEpochDay(g.getInteger(n, 0));
            case VARCHAR, STRING -> g.getString(n, 0);
          };
        }
        rows.add(Arrays.asList(row));
      }
    }
    return rows;
  }

  static ParquetMetadata footer(FileSystem fs, Path file) throws IOException {
    try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(file, fs.getConf()))) {
      return r.getFooter();
    }
  }

  static String text(FileSystem fs, Path file) throws IOException {
    try (InputStream in = fs.open(file)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
