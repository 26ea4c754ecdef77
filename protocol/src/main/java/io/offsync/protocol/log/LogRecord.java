package io.offsync.protocol.log;

/**
 * What {@link LogReader#readRecord()} found at its position: a complete logical record, the end of a finished
 * file, or the not yet complete tail of a file still being written.
 */
public sealed interface LogRecord permits LogRecord.Full, LogRecord.EndOfFile, LogRecord.Incomplete {

  LogRecord END_OF_FILE = new EndOfFile();
  LogRecord INCOMPLETE = new Incomplete();

  /**
   * A complete logical record.
   *
   * @param payload the record's bytes, reassembled from its fragments
   * @param offset file offset of the record's first physical header
   */
  record Full(byte[] payload, long offset) implements LogRecord {}

  /** The file ends with an EOF record: the writer closed it and moved on to the next file. */
  record EndOfFile() implements LogRecord {}

  /**
   * The data ends before the next record is complete (or before the next header): the file is still being
   * written. The reader keeps its position; a later call returns the record once the writer has appended it.
   */
  record Incomplete() implements LogRecord {}
}
