package io.offsync.collector;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Makes a hard link; {@link #FILES} is {@link Files#createLink}. Injectable so that tests can simulate a
 * cross-device {@code collector_datadir} without a second filesystem.
 */
@FunctionalInterface
public interface HardLinker {

  HardLinker FILES = Files::createLink;

  /** Creates {@code link} as a new name of {@code existing}. */
  void link(Path link, Path existing) throws IOException;
}
