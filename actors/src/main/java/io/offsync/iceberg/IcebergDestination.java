package io.offsync.iceberg;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.sink.CommittedFile;
import io.offsync.sink.PartLayout;
import io.offsync.sink.PartWriter;
import io.offsync.sink.PartitionBy;
import io.offsync.sink.RolledFile;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.security.PrivilegedExceptionAction;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.NoSuchTableException;

/**
 * One subtask's view of its task's Iceberg table: the layout its commit sink writes data files through, the
 * commit of a rolled file, and the stray cleanup of recovery. The table is looked up lazily: recovery only loads
 * an existing table ({@link #loadExisting}); opening a stream creates or evolves it ({@link #openForWrite}).
 * Every method does blocking catalog or file-system I/O. The first of them to run must run as the destination's
 * user ({@code DestinationUser.call}): the catalog and its {@link UserFileIO} act as the Hadoop user current then,
 * and so does the file system data files are written through ({@link #layout}, which may run on any thread).
 */
public final class IcebergDestination {

  private final IcebergSettings settings;
  private final Configuration conf;
  private final String warehouse;
  private final TableIdentifier id;
  private final String subtask;
  private final int tid;
  private final int pid;
  private final long incarnation;
  private final PartitionBy partitionBy;
  /** The writers of the current stream's rolls, by the roll's path: they describe the data files to commit. */
  private final Map<String, IcebergPartWriter> writers = new ConcurrentHashMap<>();
  private Catalog catalog;
  private UserGroupInformation user;
  private IcebergCommitter committer;

  /**
   * @param warehouse the task's destination: the Hadoop catalog's warehouse (or the REST catalog's)
   * @param subtask the subtask id recorded with every commit
   * @param partitionBy the time partitioning of a table this creates; null = unpartitioned (an existing table
   *     keeps its own spec)
   */
  public IcebergDestination(IcebergSettings settings, Configuration conf, String warehouse, String db, String table,
      String subtask, int tid, int pid, long incarnation, PartitionBy partitionBy) {
    this.settings = settings;
    this.conf = conf;
    this.warehouse = warehouse;
    this.id = IcebergTables.identifier(db, table);
    this.subtask = subtask;
    this.tid = tid;
    this.pid = pid;
    this.incarnation = incarnation;
    this.partitionBy = partitionBy;
  }

  private Catalog catalog() throws IOException {
    if (catalog == null) {
      user = UserGroupInformation.getCurrentUser();
      catalog = IcebergTables.catalog(settings, warehouse, conf);
    }
    return catalog;
  }

  /** Creates the table or adds the columns it lacks, so that rows of {@code schema} can be written. */
  public synchronized void openForWrite(TableSchema schema) throws IOException {
    Table table = IcebergTables.open(catalog(), id, schema,
        s -> IcebergTables.partitionSpec(s, partitionBy), settings);
    committer = new IcebergCommitter(table, settings.commitRetries(), settings.expireSnapshotsAfter(),
        settings.retainSnapshots());
  }

  /** Loads the table if it exists; false if it does not (nothing was ever written). */
  public synchronized boolean loadExisting() throws IOException {
    if (committer != null) {
      committer.table().refresh();
      return true;
    }
    try {
      committer = new IcebergCommitter(catalog().loadTable(id), settings.commitRetries(),
          settings.expireSnapshotsAfter(), settings.retainSnapshots());
      return true;
    } catch (NoSuchTableException e) {
      return false;
    }
  }

  private synchronized IcebergCommitter committer() throws IOException {
    if (committer == null && !loadExisting()) {
      throw new IOException("Iceberg table " + id + " in " + warehouse + " does not exist, although offsync wrote"
          + " a data file for it; was it dropped? Recreate the sync task to write it again");
    }
    return committer;
  }

  /** Where the commit sink writes this subtask's data files; the table must be open ({@link #openForWrite}). */
  public synchronized PartLayout layout() throws IOException {
    Table table = committer.table();
    FileSystem fs = fileSystem(table);
    writers.clear(); // a new stream: rolls of an earlier one are committed from what the table's files say
    return new PartLayout() {
      @Override
      public Path tmpPath(long seq, String attempt) {
        return new Path(table.locationProvider().newDataLocation(
            IcebergCommitter.fileName(tid, pid, incarnation, seq, attempt)));
      }

      @Override
      public Path finalPath(long seq, String attempt) {
        return tmpPath(seq, attempt);
      }

      @Override
      public PartWriter open(Path path, List<Column> columns) {
        IcebergPartWriter w = new IcebergPartWriter(table, fs, path, columns, settings.maxOpenDataFiles());
        writers.put(path.toString(), w);
        return w;
      }
    };
  }

  /** Step 3 of the protocol: the rolled data files become part of the table, once. */
  public IcebergCommitter.Outcome commit(RolledFile file) throws IOException {
    IcebergPartWriter w = writers.remove(file.finalPath().toString());
    List<DataFile> written = w == null || w.rows() != file.rows() ? null : w.dataFiles();
    return committer().commit(new CommitMark(subtask, tid, pid, file.seq(), file.record().from(), file.next(),
        file.rows(), file.bytes(), file.finalPath().toString()), file, written);
  }

  /**
   * Recovery: this subtask's commits from sequence {@code fromSeq} on (the journal does not know them: it lost its
   * last events), as committed files to adopt, oldest first; then deletes the data files no commit references.
   */
  public List<CommittedFile> reconcile(long fromSeq) throws IOException {
    if (!loadExisting()) {
      return List.of();
    }
    List<CommittedFile> unknown = committer.commitsFrom(subtask, fromSeq).stream()
        .map(CommitMark::committedFile).toList();
    committer.deleteStray(fileSystem(committer.table()), subtask, tid, pid, incarnation, Set.of());
    return unknown;
  }

  /** Deletes this subtask's data files that no commit references (none if the table does not exist yet). */
  public List<Path> deleteStray() throws IOException {
    if (!loadExisting()) {
      return List.of();
    }
    return committer.deleteStray(fileSystem(committer.table()), subtask, tid, pid, incarnation, Set.of());
  }

  /** The file system of the table's location (the warehouse's for the Hadoop catalog), as the catalog's user. */
  private FileSystem fileSystem(Table table) throws IOException {
    try {
      return user.doAs((PrivilegedExceptionAction<FileSystem>) () -> new Path(table.location()).getFileSystem(conf));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while opening the file system of " + table.location());
    }
  }
}
