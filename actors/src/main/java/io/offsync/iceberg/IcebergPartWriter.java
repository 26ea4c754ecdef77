package io.offsync.iceberg;

import io.offsync.protocol.codec.Column;
import io.offsync.sink.CommitRecord;
import io.offsync.sink.PartFiles;
import io.offsync.sink.PartWriter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.MetricsConfig;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.hadoop.HadoopInputFile;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.io.PositionOutputStream;
import org.apache.iceberg.parquet.Parquet;

/**
 * The data files of one roll (Parquet, written by Iceberg's own Parquet writer with the table's schema, field ids,
 * properties and metrics). Rows come in the order of the OpenMLDB table's latest columns and are placed into the
 * Iceberg fields of the same names; fields the OpenMLDB table lacks stay NULL.
 *
 * <p>An unpartitioned table gets one data file, at the roll's path. A partitioned table gets one data file per
 * partition value (a fanout): {@code <data>/<field>=<value>/<roll name>-<k>.parquet}, so a file never mixes
 * partitions; at most {@code maxOpen} are open at once, and beyond that the least recently written is closed
 * (that partition's next row starts file {@code k+1} of the same roll). {@link #close(CommitRecord)} flushes,
 * hsyncs and closes every file like every other part file ({@link PartFiles#createSealedOnClose}); the files
 * become part of the table only through one {@link IcebergCommitter} commit of the roll ({@link #dataFiles()}).
 */
public final class IcebergPartWriter implements PartWriter {

  private final Table table;
  private final FileSystem fs;
  private final Path path;
  private final Schema schema;
  private final List<Column> columns;
  private final int[] positions;
  private final GenericRecord template;
  /** The partition of the row at hand (reused), null for an unpartitioned table. */
  private final PartitionKey key;
  private final InternalRecordWrapper internal;
  private final int maxOpen;
  /** The open data files by partition, least recently written first. */
  private final LinkedHashMap<PartitionKey, DataWriter<Record>> open = new LinkedHashMap<>(16, 0.75f, true);
  private final List<DataFile> closed = new ArrayList<>();
  private final List<Path> created = new ArrayList<>();
  private long closedBytes;
  private long rows;

  /** The writer of an unpartitioned table's roll, or of a partitioned one with 32 open files at most. */
  public IcebergPartWriter(Table table, FileSystem fs, Path path, List<Column> columns) {
    this(table, fs, path, columns, IcebergSettings.MAX_OPEN_DATA_FILES);
  }

  /**
   * @param path the roll's data file (unpartitioned), or the name its partitions' data files derive from
   * @param maxOpen the most data files open at once
   */
  public IcebergPartWriter(Table table, FileSystem fs, Path path, List<Column> columns, int maxOpen) {
    this.table = table;
    this.fs = fs instanceof LocalFileSystem local ? local.getRaw() : fs;
    this.path = path;
    this.schema = table.schema();
    this.columns = columns;
    this.positions = new int[columns.size()];
    for (int i = 0; i < columns.size(); i++) {
      positions[i] = fieldPosition(schema, columns.get(i).name());
    }
    this.template = GenericRecord.create(schema);
    this.key = table.spec().isPartitioned() ? new PartitionKey(table.spec(), schema) : null;
    this.internal = key == null ? null : new InternalRecordWrapper(schema.asStruct());
    this.maxOpen = maxOpen;
  }

  private static int fieldPosition(Schema schema, String name) {
    List<org.apache.iceberg.types.Types.NestedField> fields = schema.columns();
    for (int i = 0; i < fields.size(); i++) {
      if (fields.get(i).name().equals(name)) {
        return i;
      }
    }
    throw new IllegalStateException("the Iceberg table has no column '" + name + "' (its schema: " + schema
        + "); the table was not evolved");
  }

  @Override
  public void write(Object[] values) throws IOException {
    GenericRecord r = template.copy();
    int n = Math.min(values.length, columns.size());
    for (int i = 0; i < n; i++) {
      r.set(positions[i], IcebergSchemas.value(columns.get(i).type(), values[i]));
    }
    writerOf(r).write(r);
    rows++;
  }

  private DataWriter<Record> writerOf(Record r) throws IOException {
    if (key != null) {
      key.partition(internal.wrap(r));
    }
    DataWriter<Record> w = open.get(key);
    if (w == null) {
      if (open.size() >= maxOpen) {
        Map.Entry<PartitionKey, DataWriter<Record>> eldest = open.entrySet().iterator().next();
        open.remove(eldest.getKey());
        finish(eldest.getValue());
      }
      PartitionKey partition = key == null ? null : key.copy();
      w = newWriter(partition);
      open.put(partition, w);
    }
    return w;
  }

  private DataWriter<Record> newWriter(PartitionKey partition) throws IOException {
    Path file = path;
    if (partition != null) {
      String name = path.getName();
      String stem = name.substring(0, name.length() - ".parquet".length());
      file = new Path(table.locationProvider().newDataLocation(table.spec(), partition,
          stem + "-" + created.size() + ".parquet"));
    }
    created.add(file);
    return Parquet.writeData(new SyncedOutputFile(fs, file))
        .schema(schema)
        .createWriterFunc(GenericParquetWriter::create)
        .setAll(table.properties())
        .metricsConfig(MetricsConfig.forTable(table))
        .withSpec(table.spec())
        .withPartition(partition)
        .overwrite()
        .build();
  }

  private void finish(DataWriter<Record> w) throws IOException {
    w.close();
    DataFile f = w.toDataFile();
    closed.add(f);
    closedBytes += f.fileSizeInBytes();
  }

  @Override
  public long rows() {
    return rows;
  }

  @Override
  public long bytes() {
    long bytes = closedBytes;
    for (DataWriter<Record> w : open.values()) {
      bytes += w.length();
    }
    return bytes;
  }

  /**
   * Closes every data file of the roll; returns their total length. The commit record is not written into the
   * files: an Iceberg data file is committed, with its record, by the table's own metadata ({@link CommitMark}).
   */
  @Override
  public long close(CommitRecord record) throws IOException {
    for (DataWriter<Record> w : open.values()) {
      finish(w);
    }
    open.clear();
    return closedBytes;
  }

  /** The roll's data files, as Iceberg describes them (partition, metrics); complete once closed. */
  public List<DataFile> dataFiles() {
    return List.copyOf(closed);
  }

  @Override
  public void abort() {
    for (DataWriter<Record> w : open.values()) {
      try {
        w.close();
      } catch (IOException | RuntimeException ignored) {
        // the file is deleted next
      }
    }
    open.clear();
    for (Path p : created) {
      try {
        fs.delete(p, false);
      } catch (IOException | RuntimeException ignored) {
        // an uncommitted data file left behind is removed by the next recovery's stray cleanup
      }
    }
  }

  /** Iceberg's output file over a Hadoop stream whose close seals the file (flush, hsync, close). */
  private record SyncedOutputFile(FileSystem fs, Path path) implements OutputFile {
    @Override
    public PositionOutputStream create() {
      return open(false);
    }

    @Override
    public PositionOutputStream createOrOverwrite() {
      return open(true);
    }

    private PositionOutputStream open(boolean overwrite) {
      FSDataOutputStream out;
      try {
        out = PartFiles.createSealedOnClose(fs, path, overwrite);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("cannot create Iceberg data file " + path + ": " + e.getMessage(), e);
      }
      return new PositionOutputStream() {
        @Override
        public long getPos() throws IOException {
          return out.getPos();
        }

        @Override
        public void write(int b) throws IOException {
          out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
          out.close();
        }
      };
    }

    @Override
    public String location() {
      return path.toString();
    }

    @Override
    public org.apache.iceberg.io.InputFile toInputFile() {
      return HadoopInputFile.fromPath(path, fs);
    }
  }
}
