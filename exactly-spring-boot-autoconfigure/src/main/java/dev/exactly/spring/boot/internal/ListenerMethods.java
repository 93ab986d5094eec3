package dev.exactly.spring.boot.internal;

import dev.exactly.processor.Output;
import dev.exactly.processor.RecordProcessor;
import dev.exactly.spring.boot.ExactlyComponents;
import dev.exactly.spring.boot.ExactlyOnceListener;
import dev.exactly.spring.boot.ExactlyProperties;
import dev.exactly.spring.boot.ExactlyStartupException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeanUtils;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Finds {@link ExactlyOnceListener} methods on beans as they are created and, once every singleton
 * exists, turns each into an exactly-once processor in the registry. Registration waits until then
 * so that the properties, the meter registry and the customizers are ready; the processors start
 * with the others in the lifecycle. Holds only a BeanFactory so that, as a BeanPostProcessor, it
 * makes no other bean early.
 */
public final class ListenerMethods implements BeanPostProcessor, Registrar {
  private record Found(Object bean, String beanName, Method method, ExactlyOnceListener listener) {}

  private final BeanFactory beans;
  private final List<Found> found = new ArrayList<>();

  public ListenerMethods(BeanFactory beans) {
    this.beans = beans;
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    Class<?> type = AopUtils.getTargetClass(bean);
    ReflectionUtils.doWithMethods(
        type,
        method -> {
          ExactlyOnceListener listener =
              AnnotatedElementUtils.findMergedAnnotation(method, ExactlyOnceListener.class);
          if (listener != null) {
            check(beanName, method);
            synchronized (found) {
              found.add(new Found(bean, beanName, method, listener));
            }
          }
        },
        ReflectionUtils.USER_DECLARED_METHODS);
    return bean;
  }

  private static void check(String beanName, Method method) {
    Class<?>[] params = method.getParameterTypes();
    if (params.length != 2
        || !ConsumerRecord.class.isAssignableFrom(params[0])
        || !Output.class.isAssignableFrom(params[1])) {
      throw new ExactlyStartupException(
          "@ExactlyOnceListener " + beanName + "." + method.getName(),
          method.toGenericString(),
          "the method must take (ConsumerRecord<K, V> record, Output<OK, OV> out)",
          null);
    }
  }

  /** The names of the processors the listener methods found so far make. */
  public Set<String> names() {
    synchronized (found) {
      return found.stream().map(ListenerMethods::name).collect(Collectors.toSet());
    }
  }

  private static String name(Found f) {
    return f.listener().name().isEmpty()
        ? f.beanName() + "-" + f.method().getName()
        : f.listener().name();
  }

  @Override
  public void registerAll(ExactlyComponents registry) {
    CoreComponents core = beans.getBean(CoreComponents.class);
    ExactlyProperties props = beans.getBean(ExactlyProperties.class);
    List<Found> all;
    synchronized (found) {
      all = List.copyOf(found);
    }
    for (Found f : all) {
      String name = name(f);
      String prefix = "exactly.processors." + name;
      // A copy: the annotation's group and topic fill in what the properties leave out, without
      // changing the bound properties others read.
      ExactlyProperties.Processor settings = new ExactlyProperties.Processor();
      ExactlyProperties.Processor given = props.getProcessors().get(name);
      if (given != null) {
        BeanUtils.copyProperties(given, settings);
      }
      if (settings.getGroupId() == null) {
        settings.setGroupId(f.listener().group());
      }
      if (settings.getDeadLetterTopic() == null && !f.listener().deadLetterTopic().isEmpty()) {
        settings.setDeadLetterTopic(f.listener().deadLetterTopic());
      }
      core.register(registry, name, settings, f.listener().topic(), invoker(f), prefix);
    }
  }

  private static RecordProcessor<Object, Object, Object, Object> invoker(Found f) {
    // The bean may be a proxy (a @Transactional listener): call the method as the proxy exposes it.
    Method method = AopUtils.selectInvocableMethod(f.method(), f.bean().getClass());
    ReflectionUtils.makeAccessible(method);
    return (record, out) -> {
      try {
        method.invoke(f.bean(), record, out);
      } catch (InvocationTargetException e) {
        // The method's own exception, so the retry policy and dead-lettering see its real type.
        Throwable cause = e.getCause();
        if (cause instanceof Exception ex) {
          throw ex;
        }
        throw (Error) cause;
      }
    };
  }
}
