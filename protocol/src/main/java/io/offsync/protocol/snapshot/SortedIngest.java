package io.offsync.protocol.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.EnvOptions;
import org.rocksdb.IngestExternalFileOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.SstFileWriter;

/**
 * Bulk writes into a disk table's RocksDB without its memtable: puts are buffered per column family, sorted in Java
 * ({@link KeyTSComparator#compareKeys}), and {@link #load} writes one SST file per family with RocksDB's
 * {@link SstFileWriter} and ingests it. The database then holds what the same puts would have left after a full
 * compaction: the same keys and values (a later put of a key replaces an earlier one, also across loads), in
 * RocksDB's own file format, written with the family's comparator and table options.
 *
 * <p>Why: with the Java comparator, every comparison of a memtable insert, flush or compaction is a JNI upcall from
 * a RocksDB thread (tens of microseconds per key); here RocksDB compares each key once, from the caller's thread.
 *
 * <p>Memory stays under about {@code bufferBytes}: when half of it is used, the buffers are sorted and spilled as
 * runs into {@code workDir} (created on demand, deleted by {@link #load} and {@link #close}) on a background thread
 * while puts go on into new buffers (one spill at a time); {@link #load} merges a family's runs. The sorting and the
 * SST files of the families run in parallel, on at most as many threads as the machine has cores. Failures are
 * {@link IOException}s naming the file. Not thread-safe (one caller thread).
 */
final class SortedIngest implements AutoCloseable {

  /** Sorts and writes of every instance, daemon threads, one per core. */
  private static final ExecutorService WORKERS = Executors.newFixedThreadPool(
      Runtime.getRuntime().availableProcessors(), r -> {
        Thread t = new Thread(r, "offsync-sorted-ingest");
        t.setDaemon(true);
        return t;
      });

  /** Java heap per buffered put besides its key and value arrays (sort keys, references, key array header). */
  private static final int ENTRY_OVERHEAD = 64;
  /** Java heap of an array besides its elements. */
  private static final int ARRAY_OVERHEAD = 16;

  /**
   * One family's buffered puts in put order, with per put four sort longs in one array (compared without touching
   * the keys): the first 16 bytes of the key's prefix (the key without its ts) big-endian and zero-padded, the
   * prefix length, and the ts.
   */
  private static final class Buffer {
    byte[][] keys = new byte[1024][];
    byte[][] values = new byte[1024][];
    long[] sortKeys = new long[4 * 1024];
    int size;

    void add(byte[] key, byte[] value) {
      if (size == keys.length) {
        keys = Arrays.copyOf(keys, size * 2);
        values = Arrays.copyOf(values, size * 2);
        sortKeys = Arrays.copyOf(sortKeys, 8 * size);
      }
      int prefix = key.length >= 8 ? key.length - 8 : 0;
      int o = 4 * size;
      sortKeys[o] = head(key, 0, prefix);
      sortKeys[o + 1] = head(key, 8, prefix);
      sortKeys[o + 2] = prefix;
      sortKeys[o + 3] = key.length >= 8 ? DiskKey.readLongLE(key, prefix) : 0;
      keys[size] = key;
      values[size++] = value;
    }

    private static long head(byte[] key, int from, int prefix) {
      long h = 0;
      for (int i = from; i < from + 8; i++) {
        h = h << 8 | (i < prefix ? key[i] & 0xffL : 0);
      }
      return h;
    }

    /** {@link KeyTSComparator} order of puts {@code i} and {@code j}. */
    int compare(int i, int j) {
      int a = 4 * i;
      int b = 4 * j;
      if (sortKeys[a] != sortKeys[b]) {
        return Long.compareUnsigned(sortKeys[a], sortKeys[b]);
      }
      if (sortKeys[a + 1] != sortKeys[b + 1]) {
        return Long.compareUnsigned(sortKeys[a + 1], sortKeys[b + 1]);
      }
      long la = sortKeys[a + 2];
      long lb = sortKeys[b + 2];
      if (la > 16 || lb > 16) {
        return KeyTSComparator.compareKeys(keys[i], keys[j]);
      }
      // both prefixes lie within the heads, which agree (zero padding): the shorter prefix first, then ts descending
      return la != lb ? Long.compare(la, lb) : Long.compareUnsigned(sortKeys[b + 3], sortKeys[a + 3]);
    }

    /** The puts' positions in key order, each key's last put only (a stable merge sort of the put order). */
    int[] sortedOrder() {
      int[] order = new int[size];
      for (int i = 0; i < size; i++) {
        order[i] = i;
      }
      int[] aux = new int[size];
      for (int width = 1; width < size; width *= 2) {
        for (int lo = 0; lo < size - width; lo += 2 * width) {
          int mid = lo + width;
          int hi = Math.min(lo + 2 * width, size);
          if (compare(order[mid - 1], order[mid]) <= 0) {
            continue;
          }
          System.arraycopy(order, lo, aux, lo, hi - lo);
          int i = lo;
          int j = mid;
          for (int k = lo; k < hi; k++) {
            if (i < mid && (j >= hi || compare(aux[i], aux[j]) <= 0)) {
              order[k] = aux[i++];
            } else {
              order[k] = aux[j++];
            }
          }
        }
      }
      int n = 0;
      for (int k = 0; k < size; k++) {
        if (k + 1 < size && compare(order[k], order[k + 1]) == 0) {
          continue;
        }
        order[n++] = order[k];
      }
      return Arrays.copyOf(order, n);
    }
  }

  private final Path workDir;
  private final long bufferBytes;
  private final Options sstOptions;
  private final List<Buffer> buffers = new ArrayList<>();
  /** Per family: its spilled runs (written or being written), oldest first. */
  private final List<List<CompletableFuture<Path>>> runs = new ArrayList<>();
  private final AtomicInteger fileCounter = new AtomicInteger();
  private CompletableFuture<Void> spilling = CompletableFuture.completedFuture(null);
  private long buffered;
  private byte[] lastValue;

  /**
   * @param workDir directory for spilled runs and SST files before ingestion (must be on the database's file system,
   *     files are moved into it)
   * @param families number of column families (by handle position)
   * @param bufferBytes heap for buffered puts, including those being spilled
   * @param sstOptions options with the families' comparator and table format (shared by every family written here)
   */
  SortedIngest(Path workDir, int families, long bufferBytes, Options sstOptions) {
    this.workDir = workDir;
    this.bufferBytes = bufferBytes;
    this.sstOptions = sstOptions;
    for (int i = 0; i < families; i++) {
      buffers.add(new Buffer());
      runs.add(new ArrayList<>());
    }
  }

  /** Adds a put into the family at handle position {@code family}; {@code value} may be shared between puts. */
  void add(int family, byte[] key, byte[] value) throws IOException {
    buffers.get(family).add(key, value);
    buffered += key.length + ENTRY_OVERHEAD + (value == lastValue ? 0 : value.length + ARRAY_OVERHEAD);
    lastValue = value;
    if (buffered >= bufferBytes / 2) {
      spill();
    }
  }

  /** Whether puts are waiting for {@link #load}. */
  boolean pending() {
    return buffered > 0 || runs.stream().anyMatch(r -> !r.isEmpty());
  }

  /** Writes every put added since the last load into one SST file per family and ingests them into {@code db}. */
  void load(RocksDB db, List<ColumnFamilyHandle> handles) throws IOException {
    if (!pending()) {
      return;
    }
    List<CompletableFuture<Path>> ssts = new ArrayList<>();
    try {
      for (int family = 0; family < buffers.size(); family++) {
        Buffer buffer = buffers.get(family);
        List<CompletableFuture<Path>> familyRuns = List.copyOf(runs.get(family));
        ssts.add(familyRuns.isEmpty() && buffer.size == 0 ? CompletableFuture.completedFuture(null)
            : async(() -> writeSst(buffer, familyRuns)));
        buffers.set(family, new Buffer());
        runs.get(family).clear();
      }
      try (IngestExternalFileOptions ingest = new IngestExternalFileOptions().setMoveFiles(true)) {
        for (int family = 0; family < ssts.size(); family++) {
          Path sst = await(ssts.get(family));
          if (sst != null) {
            db.ingestExternalFile(handles.get(family), List.of(sst.toString()), ingest);
          }
        }
      } catch (RocksDBException e) {
        throw new IOException("ingesting bulk-written SST files from " + workDir + " failed: " + e.getMessage(), e);
      }
    } finally {
      // after a failure, the other families' files may still be being written
      CompletableFuture.allOf(ssts.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
      buffered = 0;
      lastValue = null;
      deleteWorkDir();
    }
  }

  /** Writes a family's runs and buffer into one SST file (the runs are deleted); returns its path. */
  private Path writeSst(Buffer buffer, List<CompletableFuture<Path>> familyRuns) throws IOException {
    List<Path> runFiles = new ArrayList<>();
    for (CompletableFuture<Path> run : familyRuns) {
      runFiles.add(await(run));
    }
    if (!runFiles.isEmpty() && buffer.size > 0) {
      runFiles.add(writeRun(buffer));
    }
    Path sst = newFile(".sst");
    try (EnvOptions env = new EnvOptions(); SstFileWriter w = new SstFileWriter(env, sstOptions)) {
      w.open(sst.toString());
      if (runFiles.isEmpty()) {
        for (int i : buffer.sortedOrder()) {
          w.put(buffer.keys[i], buffer.values[i]);
        }
      } else {
        mergeRuns(runFiles, w);
      }
      w.finish();
    } catch (RocksDBException e) {
      throw new IOException("writing SST file " + sst + " failed: " + e.getMessage(), e);
    }
    return sst;
  }

  /** Hands the buffers to a background spill (after the previous one finished) and starts new ones. */
  private void spill() throws IOException {
    await(spilling);
    List<CompletableFuture<Path>> started = new ArrayList<>();
    for (int family = 0; family < buffers.size(); family++) {
      Buffer buffer = buffers.get(family);
      if (buffer.size > 0) {
        CompletableFuture<Path> run = async(() -> writeRun(buffer));
        runs.get(family).add(run);
        started.add(run);
        buffers.set(family, new Buffer());
      }
    }
    spilling = CompletableFuture.allOf(started.toArray(CompletableFuture[]::new));
    buffered = 0;
    lastValue = null;
  }

  /**
   * Writes the buffer sorted as a run: per put key length, key, value length, value (lengths int32 big-endian).
   */
  private Path writeRun(Buffer buffer) throws IOException {
    Path run = newFile(".run");
    ByteBuffer buf = ByteBuffer.allocate(1 << 20);
    try (FileChannel out = FileChannel.open(run, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (int i : buffer.sortedOrder()) {
        byte[] key = buffer.keys[i];
        byte[] value = buffer.values[i];
        int need = 8 + key.length + value.length;
        if (buf.remaining() < need) {
          drain(buf, out);
          if (buf.capacity() < need) {
            buf = ByteBuffer.allocate(need);
          }
        }
        buf.putInt(key.length).put(key).putInt(value.length).put(value);
      }
      drain(buf, out);
    }
    return run;
  }

  private static void drain(ByteBuffer buf, FileChannel out) throws IOException {
    buf.flip();
    while (buf.hasRemaining()) {
      out.write(buf);
    }
    buf.clear();
  }

  /** K-way merge of sorted runs (a later run's put of a key wins) into {@code w}; deletes the runs. */
  private static void mergeRuns(List<Path> runs, SstFileWriter w) throws IOException, RocksDBException {
    PriorityQueue<RunReader> heap = new PriorityQueue<>((a, b) -> {
      int c = KeyTSComparator.compareKeys(a.key, b.key);
      return c != 0 ? c : Integer.compare(b.order, a.order);
    });
    List<RunReader> readers = new ArrayList<>();
    try {
      for (int i = 0; i < runs.size(); i++) {
        RunReader r = new RunReader(runs.get(i), i);
        readers.add(r);
        if (r.next()) {
          heap.add(r);
        }
      }
      byte[] last = null;
      while (!heap.isEmpty()) {
        RunReader r = heap.poll();
        if (last == null || KeyTSComparator.compareKeys(last, r.key) != 0) {
          w.put(r.key, r.value);
          last = r.key;
        }
        if (r.next()) {
          heap.add(r);
        }
      }
    } finally {
      for (RunReader r : readers) {
        r.in.close();
      }
      for (Path run : runs) {
        Files.deleteIfExists(run);
      }
    }
  }

  /** Reads a run written by {@link #writeRun}. */
  private static final class RunReader {
    final Path file;
    final int order;
    final FileChannel in;
    ByteBuffer buf = ByteBuffer.allocate(1 << 20).flip();
    byte[] key;
    byte[] value;

    RunReader(Path file, int order) throws IOException {
      this.file = file;
      this.order = order;
      this.in = FileChannel.open(file, StandardOpenOption.READ);
    }

    boolean next() throws IOException {
      if (!fill(4)) {
        return false;
      }
      key = bytes(buf.getInt());
      if (!fill(4)) {
        throw new IOException("sorted run " + file + " is truncated");
      }
      value = bytes(buf.getInt());
      return true;
    }

    private byte[] bytes(int n) throws IOException {
      if (!fill(n)) {
        throw new IOException("sorted run " + file + " is truncated");
      }
      byte[] b = new byte[n];
      buf.get(b);
      return b;
    }

    /** Whether {@code n} bytes are buffered, reading more as needed; false at the end of the file. */
    private boolean fill(int n) throws IOException {
      if (buf.remaining() >= n) {
        return true;
      }
      buf.compact();
      if (buf.capacity() < n) {
        buf = ByteBuffer.allocate(n).put(buf.flip());
      }
      while (buf.position() < n) {
        if (in.read(buf) < 0) {
          buf.flip();
          return false;
        }
      }
      buf.flip();
      return true;
    }
  }

  private interface IoTask<T> {
    T run() throws IOException;
  }

  private static <T> CompletableFuture<T> async(IoTask<T> task) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return task.run();
      } catch (IOException e) {
        throw new CompletionException(e);
      }
    }, WORKERS);
  }

  private static <T> T await(CompletableFuture<T> f) throws IOException {
    try {
      return f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof IOException io) {
        throw new IOException(io.getMessage(), io);
      }
      throw e;
    }
  }

  private Path newFile(String suffix) throws IOException {
    Files.createDirectories(workDir);
    return workDir.resolve(String.format("%06d%s", fileCounter.getAndIncrement(), suffix));
  }

  private void deleteWorkDir() throws IOException {
    if (!Files.exists(workDir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(workDir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** Drops what was not loaded (after waiting for a spill under way) and deletes the work directory. */
  @Override
  public void close() throws IOException {
    try {
      await(spilling);
    } catch (IOException e) {
      // its runs are dropped with the directory
    }
    buffers.replaceAll(b -> new Buffer());
    runs.forEach(List::clear);
    buffered = 0;
    deleteWorkDir();
  }
}
