# Shared by the offsync scripts in bin/ (sourced, not run).
#   offsync_home           the checkout (parent of bin/)
#   offsync_jvm_opts OPTS  prints the JVM options of every node, placed before the caller's own OPTS
#   offsync_java           java 17+ (JAVA_HOME/bin/java, else java on PATH), or exits 1 with the fix
#   offsync_classpath M    runtime classpath of module M (its jar + dependencies). Builds the module with Maven
#                          the first time and whenever a source or pom is newer than its jar; OFFSYNC_CLASSPATH
#                          set = use that classpath as is (tests pass their own).
#   offsync_cds N CP JAVA OPTS...  class-data sharing for a JVM of class path CP and options OPTS: sets offsync_cds_opts (JVM options),
#                          offsync_cds_note (a line for the operator, may be empty) and offsync_cds_recording (the
#                          archive file this JVM writes at exit, else empty); see below.

offsync_home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# JVM options every offsync node (and bin/bench) gets before the caller's own OPTS (a later flag wins):
#  - the parallel collector, unless OPTS choose one (two collectors stop the JVM): a sync allocates fast and keeps
#    little, and on a 2-core machine G1's concurrent threads and write barriers take CPU from it (bin/bench, 2 M rows,
#    CPU of a warm sync with G1 / with the parallel collector: 4.4-7.2 s / 3.9-4.9 s with parquet-java and RocksDB
#    reads, 3.4-4.3 s / 2.2-4.0 s with the Java SST reader and the columnar writer); young pauses are tens of ms at
#    -Xmx1g, far below the cluster's failure detection. With G1 (OPTS -XX:+UseG1GC) 4 MiB regions: with the 1 MiB regions G1 picks for
#    heaps under 4 GiB every 1 MiB RowPack (max_pack_size) and its serialized copies are humongous objects.
#  - C2 thresholds ten times the default: a method is compiled by C2 after 50,000 calls (loops 400,000 iterations),
#    not 5,000, so start-up code and rare paths stay with C1 and the C2 thread compiles the sync's hot path (millions
#    of calls) sooner; less C2 CPU at start and in a node's first sync.
offsync_jvm_opts() {
  local gc="-XX:+UseParallelGC" o
  for o in "$@"; do case "$o" in -XX:+Use*GC) gc="" ;; esac; done
  echo "$gc -XX:G1HeapRegionSize=4m -XX:Tier4InvocationThreshold=50000 -XX:Tier4MinInvocationThreshold=6000" \
    "-XX:Tier4CompileThreshold=150000 -XX:Tier4BackEdgeThreshold=400000"
}

offsync_java() {
  local java="java"
  [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && java="$JAVA_HOME/bin/java"
  if ! command -v "$java" >/dev/null 2>&1; then
    echo "offsync needs Java 17 or newer: install it (Debian: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME" >&2
    exit 1
  fi
  local v
  v="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  if [ -z "$v" ] || [ "${v%%.*}" -lt 17 ] 2>/dev/null; then
    echo "offsync needs Java 17 or newer; $java is version ${v:-unknown}: set JAVA_HOME to a JDK 17+" >&2
    exit 1
  fi
  echo "$java"
}

# Builds modules (and what they need) with Maven, writing target/runtime.classpath in each. Serialized by a lock,
# so concurrent starts build once.
offsync_build() {
  command -v mvn >/dev/null 2>&1 || { echo "offsync builds with Maven: install it (Debian: apt-get install maven)" >&2; exit 1; }
  mkdir -p "$offsync_home/target"
  local modules; modules="$(IFS=,; echo "$*")"
  (
    flock 9
    echo "building $modules with Maven (once; later starts reuse the build) ..." >&2
    cd "$offsync_home" && mvn -q -B -ntp -Dstyle.color=never -DskipTests package dependency:build-classpath \
      -Dmdep.outputFile=target/runtime.classpath -Dmdep.includeScope=runtime -pl "$modules" -am >&2
  ) 9>"$offsync_home/target/.build.lock" || { echo "build of $modules failed (see the Maven output above)" >&2; exit 1; }
  local m; for m in "$@"; do touch "$offsync_home/$m/target/.offsync-built"; done
}

offsync_module_jar() {
  ls "$offsync_home/$1"/target/offsync-*.jar 2>/dev/null | grep -v -- '-tests\.jar$' | head -1
}

offsync_stale() { # true when module $1 has no build by these scripts or a source/pom is newer than that build
  local stamp="$offsync_home/$1/target/.offsync-built"
  [ -f "$stamp" ] && [ -n "$(offsync_module_jar "$1")" ] && [ -f "$offsync_home/$1/target/runtime.classpath" ] || return 0
  [ -n "$(find "$offsync_home"/pom.xml "$offsync_home"/*/pom.xml "$offsync_home"/*/src/main -newer "$stamp" -type f 2>/dev/null | head -1)" ]
}

offsync_classpath() {
  if [ -n "${OFFSYNC_CLASSPATH:-}" ]; then echo "$OFFSYNC_CLASSPATH"; return 0; fi
  if offsync_stale "$1"; then offsync_build "$1"; fi
  echo "$(offsync_module_jar "$1"):$(cat "$offsync_home/$1/target/runtime.classpath")"
}

# Class-data sharing (JDK 17 AppCDS, a dynamic archive): the classes a node loads, parsed and verified once and mapped
# by every later start. A cold node loads ~15,000 classes: with the archive it starts on about half the CPU. One
# archive per name and class path (jar sizes and times, the JVM) in OFFSYNC_CDS_DIR (default <offsync>/target/cds):
#   - none yet: this JVM records one (-XX:ArchiveClassesAtExit), written when it exits (stop, not kill -9), into a
#     .part file; one recorder per archive at a time, other starts meanwhile run without;
#   - the next start checks a finished .part file with a trial JVM (a truncated archive would crash a JVM) and renames
#     it to the archive, or deletes it; from then on every start maps it (-XX:SharedArchiveFile). A class path or JVM
#     that changed makes a new archive and the old ones of that name are deleted.
# Never fails a start: without a writable directory, with a class path holding directories (tests' classes; CDS
# archives jars only) or with OFFSYNC_CDS=off the JVM runs without an archive; one the JVM cannot use it ignores.
offsync_cds() {
  local name="$1" cp="$2" java="$3"; shift 3
  offsync_cds_opts=""; offsync_cds_note=""; offsync_cds_recording=""
  [ "${OFFSYNC_CDS:-on}" != off ] || return 0
  local e entries; IFS=: read -r -a entries <<<"$cp"
  for e in "${entries[@]}"; do [ -f "$e" ] || return 0; done
  local dir="${OFFSYNC_CDS_DIR:-$offsync_home/target/cds}"
  if ! mkdir -p "$dir" 2>/dev/null || [ ! -w "$dir" ]; then
    offsync_cds_note="class-data archive: $dir is not writable, starting without one (OFFSYNC_CDS_DIR sets another)"
    return 0
  fi
  local jvm key; jvm="$(readlink -f "$(command -v "$java")")"
  key="$({ echo "$jvm"; stat -Lc '%n %s %Y' "$jvm" "$(dirname "$jvm")/../lib/server/libjvm.so" "${entries[@]}" 2>&1 \
    || true; } | cksum | cut -d' ' -f1)"
  local archive="$dir/$name-$key.jsa" part recording=""
  for part in "$archive".part-*; do
    [ -e "$part" ] || continue
    if pgrep -f -- "-XX:ArchiveClassesAtExit=$part( |$)" >/dev/null; then recording=1; continue; fi
    if [ ! -f "$archive" ] && (cd "$dir" && "$java" -Xshare:on -XX:SharedArchiveFile="$part" -XX:ErrorFile=/dev/null \
        -XX:-CreateCoredumpOnCrash -cp "$cp" -version) >/dev/null 2>&1; then
      mv -f "$part" "$archive" 2>/dev/null || true
      offsync_cds_note="class-data archive $archive created (recorded by the previous run of this class path)"
    else
      rm -f "$part"
    fi
  done
  if [ -f "$archive" ]; then
    offsync_cds_opts="-XX:SharedArchiveFile=$archive"
    [ -n "$offsync_cds_note" ] || offsync_cds_note="class-data archive: $archive"
  elif [ -n "$recording" ]; then
    offsync_cds_note="class-data archive: another process of this class path is recording one; starting without"
  else
    for e in "$dir/$name"-*.jsa "$dir/$name"-*.jsa.part-*; do
      case "$e" in "$archive"*) ;; *) pgrep -f -- "-XX:ArchiveClassesAtExit=$e( |$)" >/dev/null || rm -f "$e" ;; esac
    done
    part="$archive.part-$$"
    # the JVM refuses to start when it cannot record (e.g. -Xshare:off among the options): try first
    if (cd "$dir" && "$java" "$@" -XX:ArchiveClassesAtExit="$part" -Xlog:cds=off -Xlog:cds+dynamic=off -version) \
        >/dev/null 2>&1; then
      rm -f "$part"
      offsync_cds_recording="$part"
      offsync_cds_opts="-XX:ArchiveClassesAtExit=$part -Xlog:cds=off -Xlog:cds+dynamic=off"
      offsync_cds_note="class-data archive: none for this class path yet; this run records one when it exits ($part), the next start uses it"
    else
      rm -f "$part"
      offsync_cds_note="class-data archive: this JVM cannot record one with these options ($*); starting without"
    fi
  fi
}
