package io.offsync.protocol.snapshot;

import com.google.protobuf.TextFormat;
import io.offsync.protocol.openmldb.Tablet;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Optional;

/**
 * A tablet's snapshot {@code MANIFEST}: the protobuf text format of {@code openmldb.api.Manifest}, e.g.
 * <pre>
 * offset: 1024
 * name: "202305111230"
 * count: 1000
 * term: 3
 * </pre>
 * {@code offset} is the binlog offset the snapshot covers (the binlog phase starts at {@code offset + 1}),
 * {@code name} the checkpoint directory next to the MANIFEST, {@code count} the record count, {@code term} the
 * leader term. The uint64 fields are carried in {@code long}s with unsigned meaning.
 *
 * <p>{@link #write} is crash-safe like the tablet's: the text goes to {@code MANIFEST.tmp}, is fsynced, then renamed
 * over {@code MANIFEST}; a reader sees the old or the new file, never a torn one.
 */
public record Manifest(long offset, String name, long count, long term) {

  /** The file name inside a partition's {@code snapshot/} directory. */
  public static final String FILE_NAME = "MANIFEST";

  public Manifest {
    Objects.requireNonNull(name, "name");
  }

  /**
   * Reads a MANIFEST file.
   *
   * @throws NoSuchFileException if there is none (the partition has no snapshot yet)
   * @throws IOException naming the file if it is not a valid text-format Manifest
   */
  public static Manifest read(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    Tablet.Manifest.Builder b = Tablet.Manifest.newBuilder();
    try {
      TextFormat.getParser().merge(text, b);
    } catch (TextFormat.ParseException e) {
      throw new IOException("MANIFEST " + file + " is not a text-format openmldb.api.Manifest (" + e.getMessage()
          + "); it is written by the tablet's snapshot task, check that the path points at <partition>/snapshot/MANIFEST",
          e);
    }
    if (!b.hasName() || b.getName().isEmpty()) {
      throw new IOException("MANIFEST " + file + " has no checkpoint name; it is not a disk-table snapshot MANIFEST");
    }
    return new Manifest(b.getOffset(), b.getName(), b.getCount(), b.getTerm());
  }

  /** Reads a MANIFEST file, empty if the file does not exist. */
  public static Optional<Manifest> readIfExists(Path file) throws IOException {
    try {
      return Optional.of(read(file));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** The protobuf message. */
  public Tablet.Manifest toProto() {
    return Tablet.Manifest.newBuilder().setOffset(offset).setName(name).setCount(count).setTerm(term).build();
  }

  /** The exact text the tablet writes. */
  public String toText() {
    return TextFormat.printer().printToString(toProto());
  }

  /** Writes {@code file} atomically: {@code <file>.tmp}, fsync, rename, fsync of the directory. */
  public void write(Path file) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buf = ByteBuffer.wrap(toText().getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Path dir = file.toAbsolutePath().getParent();
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException ignored) {
      // directory fsync is not supported on every platform; the rename itself is atomic
    }
  }
}
