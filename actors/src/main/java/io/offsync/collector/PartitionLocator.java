package io.offsync.collector;

import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Finds a partition's tablet directory {@code <root>/<tid>_<pid>} on this machine. The roots are those of the
 * table's storage mode ({@code ssd_root_path} for SSD tables, {@code hdd_root_path} for HDD tables), each a
 * comma-separated list as on the tablet; the partition is in whichever root holds it (if several do, the one
 * whose binlog changed last, the others being leftovers).
 */
final class PartitionLocator {

  private PartitionLocator() {}

  /**
   * @throws IllegalArgumentException with a message naming the problem and the fix: memory table, root path
   *     flag not set, partition not found
   */
  static Path locate(CollectorSettings settings, NS.TableInfo table, int pid) throws IOException {
    String name = describe(table);
    Common.StorageMode mode = table.getStorageMode();
    List<Path> roots;
    String flag;
    switch (mode) {
      case kMemory, kUnknown -> throw new IllegalArgumentException(name + " is a memory table (storage_mode "
          + mode + "): offsync syncs only disk tables (SSD or HDD storage mode)");
      case kSSD -> {
        roots = settings.ssdRoots();
        flag = "ssd_root_path";
      }
      default -> {
        roots = settings.hddRoots();
        flag = "hdd_root_path";
      }
    }
    if (roots.isEmpty()) {
      throw new IllegalArgumentException(name + " is a " + mode + " table but this collector has no " + flag
          + ": set --" + flag + " in data_collector.flags to the tablet's " + flag);
    }
    String part = table.getTid() + "_" + pid;
    List<Path> found = new ArrayList<>();
    for (Path root : roots) {
      if (Files.isDirectory(root.resolve(part))) {
        found.add(root.resolve(part));
      }
    }
    if (found.isEmpty()) {
      throw new IllegalArgumentException("partition " + part + " of " + name + " not found under " + flag + " "
          + roots + ": is its leader tablet on this machine, and is " + flag + " the tablet's?");
    }
    found.sort(Comparator.comparing(PartitionLocator::binlogModified).reversed());
    return found.get(0);
  }

  static String describe(NS.TableInfo table) {
    return "table " + table.getDb() + "." + table.getName() + " (tid " + table.getTid() + ")";
  }

  private static FileTime binlogModified(Path partitionDir) {
    try {
      return Files.getLastModifiedTime(partitionDir.resolve("binlog"));
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }
}
