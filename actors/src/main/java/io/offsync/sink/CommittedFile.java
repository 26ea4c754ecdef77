package io.offsync.sink;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * A final part file as the destination holds it, with the {@link CommitRecord} it carries.
 *
 * <p>Where the record is. Parquet: the footer's key-value metadata ({@code offsync.seq}, {@code offsync.next},
 * ...), written by the sink when it closes the file, so it is part of the file that is renamed. CSV (whose lines
 * stay byte-compatible with the original): a sidecar {@code .<final name>.commit} next to the file, in Java
 * properties format with the same keys; hidden from Hadoop, Spark and Hive readers by its leading dot. The commit
 * writes the sidecar (hsynced) before it renames the data file, so a CSV file under its final name always has its
 * sidecar; a sidecar without its data file is one of a commit that never happened and is overwritten by the next.
 *
 * @param path the final file
 * @param length its length in bytes
 * @param record the record it carries; null for a file written before offsync recorded one
 */
public record CommittedFile(Path path, long length, CommitRecord record) {

  /** The suffix of a CSV file's sidecar ({@code .<final name>.commit}). */
  public static final String SIDECAR_SUFFIX = ".commit";

  /** The sidecar of CSV file {@code finalPath}. */
  public static Path sidecar(Path finalPath) {
    return new Path(finalPath.getParent(), "." + finalPath.getName() + SIDECAR_SUFFIX);
  }

  /** The file at {@code finalPath} and its record; empty if there is no such file. */
  public static Optional<CommittedFile> read(FileSystem fs, Path finalPath) throws IOException {
    FileStatus st;
    try {
      st = fs.getFileStatus(finalPath);
    } catch (FileNotFoundException e) {
      return Optional.empty();
    }
    Map<String, String> metadata = isGroup(finalPath) ? properties(fs, finalPath)
        : isCsv(finalPath) ? properties(fs, sidecar(finalPath))
        : footer(fs, st).getFileMetaData().getKeyValueMetaData();
    try {
      return Optional.of(new CommittedFile(st.getPath(), st.getLen(),
          CommitRecord.fromMetadata(metadata).orElse(null)));
    } catch (IllegalArgumentException e) {
      throw new IOException("part file " + finalPath + ": " + e.getMessage(), e);
    }
  }

  /** The number of rows the file really holds: from the Parquet footer, or the lines of a CSV file. */
  public long countRows(FileSystem fs) throws IOException {
    if (!isCsv(path)) {
      long rows = 0;
      for (BlockMetaData block : footer(fs, fs.getFileStatus(path)).getBlocks()) {
        rows += block.getRowCount();
      }
      return rows;
    }
    long lines = 0;
    byte[] buf = new byte[64 * 1024];
    try (FSDataInputStream in = fs.open(path)) {
      for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
        for (int i = 0; i < n; i++) {
          if (buf[i] == '\n') {
            lines++;
          }
        }
      }
    }
    return lines;
  }

  /**
   * Writes {@code record} as the sidecar of CSV file {@code finalPath}: create (overwriting), write, hsync,
   * close. Called by the commit before the data file is renamed.
   */
  static void writeSidecar(FileSystem fs, Path finalPath, CommitRecord record) throws IOException {
    writeRecord(fs, sidecar(finalPath), finalPath.getName(), record);
  }

  /** Writes {@code record} as the marker of a time-partitioned group ({@link PartitionedFiles}), hsynced. */
  static void writeGroup(FileSystem fs, Path marker, CommitRecord record) throws IOException {
    writeRecord(fs, marker, "group " + marker.getName(), record);
  }

  private static void writeRecord(FileSystem fs, Path path, String of, CommitRecord record) throws IOException {
    Properties p = new Properties();
    p.putAll(record.toMetadata());
    StringBuilder text = new StringBuilder("# offsync commit record of ").append(of).append('\n');
    try (var w = new java.io.StringWriter()) {
      p.store(w, null);
      text.append(w);
    }
    FileSystem target = fs instanceof org.apache.hadoop.fs.LocalFileSystem local ? local.getRaw() : fs;
    FSDataOutputStream out = target.create(path, true);
    try {
      out.write(text.toString().getBytes(StandardCharsets.ISO_8859_1));
      PartFiles.seal(out);
    } catch (IOException | RuntimeException e) {
      PartFiles.discard(out, target, path);
      throw e;
    }
  }

  static boolean isCsv(Path file) {
    return file.getName().endsWith("." + OutputFormat.CSV.extension());
  }

  /** Whether {@code file} is the marker of a time-partitioned group. */
  public static boolean isGroup(Path file) {
    return file.getName().endsWith(FileNames.GROUP_SUFFIX);
  }

  private static Map<String, String> properties(FileSystem fs, Path file) throws IOException {
    String text;
    try (InputStream in = fs.open(file)) {
      text = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    } catch (FileNotFoundException e) {
      return Map.of();
    }
    Properties p = new Properties();
    p.load(new StringReader(text));
    Map<String, String> m = new HashMap<>();
    p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
    return m;
  }

  private static ParquetMetadata footer(FileSystem fs, FileStatus st) throws IOException {
    try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromStatus(st, fs.getConf()))) {
      return r.getFooter();
    }
  }
}
