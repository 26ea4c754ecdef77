package io.offsync.tools.chaos;

/** What one step of a chaos run does to the processes; each touches synctools, collectors or both. */
enum ChaosAction {
  KILL_SYNCTOOL("kill -9 of one synctool", true, false),
  KILL_ALL_SYNCTOOLS("kill -9 of every synctool", true, false),
  KILL_COLLECTOR("kill -9 of one collector", false, true),
  KILL_ALL_COLLECTORS("kill -9 of both collectors", false, true),
  KILL_SYNCTOOL_AND_COLLECTOR("kill -9 of a synctool and a collector", true, true),
  UPGRADE_SYNCTOOLS("stop of every synctool, then start (an upgrade)", true, false);

  final String description;
  final boolean synctools;
  final boolean collectors;

  ChaosAction(String description, boolean synctools, boolean collectors) {
    this.description = description;
    this.synctools = synctools;
    this.collectors = collectors;
  }

  /** Whether {@code --kinds} lets this action run: all, synctool (synctools only), collector (collectors only). */
  boolean allowedBy(String kinds) {
    return switch (kinds) {
      case "all" -> true;
      case "synctool" -> !collectors;
      case "collector" -> !synctools;
      default -> throw new IllegalArgumentException("--kinds must be all, synctool or collector, not " + kinds);
    };
  }
}
