package dev.exactly.processor;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.metrics.KafkaMetric;

/**
 * A real producer whose next {@code commitTransaction} (or, when asked, {@code abortTransaction})
 * throws the error a test names instead of calling the broker: the transaction stays open on the
 * broker, exactly as when the coordinator's answer did not come or refused the call.
 */
final class FailingProducer implements Producer<byte[], byte[]> {
  private final Producer<byte[], byte[]> real;
  private final Supplier<RuntimeException> commitFailure;
  private Supplier<RuntimeException> abortFailure = () -> null;

  /**
   * @param commitFailure the error for the next commit, or null to commit
   */
  FailingProducer(Producer<byte[], byte[]> real, Supplier<RuntimeException> commitFailure) {
    this.real = real;
    this.commitFailure = commitFailure;
  }

  /**
   * @param failure the error for the next abort, or null to abort
   * @return this
   */
  FailingProducer failingAborts(Supplier<RuntimeException> failure) {
    this.abortFailure = failure;
    return this;
  }

  @Override
  public void commitTransaction() throws ProducerFencedException {
    RuntimeException e = commitFailure.get();
    if (e != null) {
      throw e;
    }
    real.commitTransaction();
  }

  @Override
  public void initTransactions() {
    real.initTransactions();
  }

  @Override
  public void beginTransaction() throws ProducerFencedException {
    real.beginTransaction();
  }

  @Override
  public void sendOffsetsToTransaction(
      Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata groupMetadata)
      throws ProducerFencedException {
    real.sendOffsetsToTransaction(offsets, groupMetadata);
  }

  @Override
  public void abortTransaction() throws ProducerFencedException {
    RuntimeException e = abortFailure.get();
    if (e != null) {
      throw e;
    }
    real.abortTransaction();
  }

  @Override
  public void registerMetricForSubscription(KafkaMetric metric) {
    real.registerMetricForSubscription(metric);
  }

  @Override
  public void unregisterMetricFromSubscription(KafkaMetric metric) {
    real.unregisterMetricFromSubscription(metric);
  }

  @Override
  public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
    return real.send(record);
  }

  @Override
  public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
    return real.send(record, callback);
  }

  @Override
  public void flush() {
    real.flush();
  }

  @Override
  public List<PartitionInfo> partitionsFor(String topic) {
    return real.partitionsFor(topic);
  }

  @Override
  public Map<MetricName, ? extends Metric> metrics() {
    return real.metrics();
  }

  @Override
  public Uuid clientInstanceId(Duration timeout) {
    return real.clientInstanceId(timeout);
  }

  @Override
  public void close() {
    real.close();
  }

  @Override
  public void close(Duration timeout) {
    real.close(timeout);
  }
}
