/** The message log contract on Kafka (`deno task infra:up`; runs when IM_CLUSTER_TESTS=1). */
import { clusterTestsEnabled, INFRA, uniqueSuffix } from "../../tests/infra.ts";
import { testMessageLog } from "./_contract.ts";
import { KafkaLog } from "./kafka.ts";

testMessageLog(
  "KafkaLog",
  () => {
    const suffix = uniqueSuffix();
    return KafkaLog.open({
      brokers: [INFRA.kafka],
      topic: `test.${suffix}`,
      partitions: 3,
      clientId: `test-${suffix}`,
      groupId: `test-${suffix}`,
      onError: () => {},
    });
  },
  { ignore: !clusterTestsEnabled() },
);
