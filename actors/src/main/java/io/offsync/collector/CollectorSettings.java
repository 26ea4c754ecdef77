package io.offsync.collector;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Settings of the collector entities of one node, from {@code offsync.collector} (see reference.conf).
 *
 * @param datadir {@code collector_datadir}: where snapshot and binlog files are hard-linked
 * @param maxPackSize {@code max_pack_size}: row bytes per pack at most
 * @param hddRoots {@code hdd_root_path} entries: roots of HDD tables on this machine
 * @param ssdRoots {@code ssd_root_path} entries: roots of SSD tables on this machine
 * @param tailPollInterval delay before reading again once a stream has caught up with the binlog
 * @param heartbeatInterval a caught-up stream sends a heartbeat pack when nothing went out for this long
 * @param linkRetention how long a partition's links outlive its last stream
 * @param verifyCrc CRC-check binlog records
 * @param overlapWindow puts in a row not found in a snapshot's checkpoint that close its overlap with the binlog
 *     ({@code io.offsync.protocol.partition.PartitionReader}); 0 = no overlap detection
 * @param linker how hard links are made
 */
public record CollectorSettings(
    Path datadir,
    int maxPackSize,
    List<Path> hddRoots,
    List<Path> ssdRoots,
    Duration tailPollInterval,
    Duration heartbeatInterval,
    Duration linkRetention,
    boolean verifyCrc,
    int overlapWindow,
    HardLinker linker) {

  public static final String CONFIG_PATH = "offsync.collector";

  public CollectorSettings {
    if (maxPackSize < 1) {
      throw new IllegalArgumentException("max_pack_size must be at least 1 byte, got " + maxPackSize);
    }
    if (overlapWindow < 0) {
      throw new IllegalArgumentException(CONFIG_PATH + ".overlap-window must be a count of puts >= 0, got "
          + overlapWindow);
    }
    hddRoots = List.copyOf(hddRoots);
    ssdRoots = List.copyOf(ssdRoots);
  }

  /** Reads {@code offsync.collector} of the given root config. */
  public static CollectorSettings fromConfig(Config root) {
    Config c = root.getConfig(CONFIG_PATH);
    long pack = c.getBytes("max-pack-size");
    if (pack > Integer.MAX_VALUE - 1024) {
      throw new IllegalArgumentException("max_pack_size " + pack + " is too large");
    }
    return new CollectorSettings(
        Path.of(c.getString("datadir")),
        (int) pack,
        roots(c.getString("hdd-root-path")),
        roots(c.getString("ssd-root-path")),
        c.getDuration("tail-poll-interval"),
        c.getDuration("heartbeat-interval"),
        c.getDuration("link-retention"),
        c.getBoolean("verify-crc"),
        c.getInt("overlap-window"),
        HardLinker.FILES);
  }

  /** Splits a comma-separated root path list as the tablet does. */
  public static List<Path> roots(String commaSeparated) {
    return Arrays.stream(commaSeparated.split(","))
        .map(String::strip)
        .filter(s -> !s.isEmpty())
        .map(Path::of)
        .toList();
  }

  public CollectorSettings withLinker(HardLinker newLinker) {
    return new CollectorSettings(datadir, maxPackSize, hddRoots, ssdRoots, tailPollInterval, heartbeatInterval,
        linkRetention, verifyCrc, overlapWindow, newLinker);
  }

  public CollectorSettings withDatadir(Path dir) {
    return new CollectorSettings(dir, maxPackSize, hddRoots, ssdRoots, tailPollInterval, heartbeatInterval,
        linkRetention, verifyCrc, overlapWindow, linker);
  }

  /**
   * Checks that a pack fits in one Artery frame ({@code pekko.remote.artery.advanced.maximum-frame-size}) with
   * room for its envelope.
   *
   * @throws IllegalArgumentException naming both settings
   */
  public void checkFrameSize(Config root) {
    String key = "pekko.remote.artery.advanced.maximum-frame-size";
    long frame = root.getBytes(key);
    if (maxPackSize + 64L * 1024 > frame) {
      throw new IllegalArgumentException("max_pack_size " + maxPackSize + " does not fit an Artery frame: "
          + key + " is " + frame + " bytes and must be at least max_pack_size + 64 KiB; lower max_pack_size or "
          + "raise " + key + " on every node");
    }
  }
}
