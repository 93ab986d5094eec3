#!/usr/bin/env bash
# Exactly's idempotent consumer side by side with Confluent Parallel Consumer (docs/benchmarks.md,
# "Idempotent consumer: concurrency"). Builds exactly-bench and this standalone project (Parallel
# Consumer on kafka-clients 3.9.1, in a JVM of its own), then runs ParallelConsumerComparison.
#
#   exactly-bench/parallel-consumer/run.sh [seconds (10)] [concurrencies (8,32,128)]
#       [contenders (exactly-memory,exactly-redis,pc-async,pc-tx)]
#
# The first build needs Maven Central (Parallel Consumer is in no other module's dependencies);
# later ones can pass MVN_OFFLINE=-o. On a shared machine wrap it in the heavy-jobs lock.
set -euo pipefail
cd "$(dirname "$0")/../.."
offline=${MVN_OFFLINE:-}

mvn -B -q $offline install -DskipTests -Dspotless.check.skip=true -pl exactly-bench -am
mvn -B -q $offline dependency:build-classpath -pl exactly-bench \
  -Dmdep.outputFile=target/pc-comparison-bench.cp
mvn -B -q $offline -f exactly-bench/parallel-consumer/pom.xml compile dependency:build-classpath \
  -Dmdep.outputFile=target/peer.cp

bench_cp="exactly-bench/target/classes:$(cat exactly-bench/target/pc-comparison-bench.cp)"
peer_cp="$PWD/exactly-bench/parallel-consumer/target/classes:$(cat exactly-bench/parallel-consumer/target/peer.cp)"
exec java -Xmx1g -XX:+UseSerialGC -Dpc.classpath="$peer_cp" -cp "$bench_cp" \
  dev.exactly.bench.dedup.ParallelConsumerComparison "$@"
