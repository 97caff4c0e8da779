'use strict';

// Serverless plugin: the operations topic and the alarms every service needs, derived from what it
// deploys, so a new function or failure queue is watched without copying alarm blocks. Each service
// with functions gets its ops topic (OpsTopic, named <service>-<stage>-ops, output OpsTopicArn: subscribe
// on-call addresses to it) and alarms that notify it when they fire and when they clear:
//   - every function: Errors and Throttles (any in 5 minutes);
//   - every function with a stream event: IteratorAge over 5 minutes for 10 minutes;
//   - every SQS queue that is an on-failure destination (asynchronous invocations and stream
//     mappings): a message waiting.
// A service's own alarms may notify the topic too ({Ref: OpsTopic}). A resource or output of the same
// logical id declared under resources wins over the generated one.

const FIVE_MINUTES = 300;

class OpsAlarms {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.addAlarms(),
    };
  }

  addAlarms() {
    const service = this.serverless.service;
    const provider = this.serverless.getProvider('aws');
    const template = service.provider.compiledCloudFormationTemplate;
    const topic = 'OpsTopic';
    if (Object.keys(service.functions || {}).length === 0) return;
    const prefix = `${service.service}-${provider.getStage()}`;
    const generated = {
      [topic]: {
        Type: 'AWS::SNS::Topic',
        Metadata: {
          checkov: {
            skip: [
              {
                id: 'CKV_AWS_26',
                comment:
                  'CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key; alarm messages carry no inventory data.',
              },
            ],
          },
        },
        Properties: { TopicName: `${prefix}-ops`, DisplayName: `${prefix} operations` },
      },
    };
    const alarm = (logicalId, properties) => {
      generated[logicalId] = {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          Statistic: 'Sum',
          Period: FIVE_MINUTES,
          EvaluationPeriods: 1,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
          ...properties,
          AlarmActions: [{ Ref: topic }],
          OKActions: [{ Ref: topic }],
        },
      };
    };

    for (const [key, spec] of Object.entries(service.functions)) {
      const name = provider.naming.getNormalizedFunctionName(key);
      const dimensions = [{ Name: 'FunctionName', Value: { Ref: provider.naming.getLambdaLogicalId(key) } }];
      alarm(`${name}ErrorsAlarm`, {
        AlarmName: `${prefix}-${key}-errors`,
        AlarmDescription: `${key} raised errors${spec.description ? ` (${spec.description})` : ''}.`,
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: dimensions,
      });
      alarm(`${name}ThrottlesAlarm`, {
        AlarmName: `${prefix}-${key}-throttles`,
        AlarmDescription: `${key} was throttled (account or reserved concurrency exhausted).`,
        Namespace: 'AWS/Lambda',
        MetricName: 'Throttles',
        Dimensions: dimensions,
      });
      if ((spec.events || []).some((event) => event && event.stream)) {
        // A stream consumer that falls behind delivers late: alarm when the oldest record of a
        // batch is over 5 minutes old for 10 minutes.
        alarm(`${name}IteratorAgeAlarm`, {
          AlarmName: `${prefix}-${key}-behind`,
          AlarmDescription: `${key} is more than 5 minutes behind its stream.`,
          Namespace: 'AWS/Lambda',
          MetricName: 'IteratorAge',
          Dimensions: dimensions,
          Statistic: 'Maximum',
          EvaluationPeriods: 2,
          Threshold: FIVE_MINUTES * 1000,
        });
      }
    }

    for (const queue of failureQueues(template)) {
      const queueName = template.Resources[queue].Properties.QueueName;
      alarm(`${queue}Alarm`, {
        AlarmName: `${typeof queueName === 'string' ? queueName : `${prefix}-${queue}`}-waiting`,
        AlarmDescription: `Events that failed every retry wait in ${queue}; fix the cause, then replay them.`,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
        Statistic: 'Maximum',
      });
    }

    for (const [logicalId, resource] of Object.entries(generated)) {
      if (!template.Resources[logicalId]) template.Resources[logicalId] = resource;
    }
    template.Outputs = template.Outputs || {};
    if (!template.Outputs.OpsTopicArn) template.Outputs.OpsTopicArn = { Value: { Ref: topic } };
  }
}

// Logical ids of the SQS queues of this template that receive failed invocations or stream batches.
function failureQueues(template) {
  const queues = new Set();
  for (const resource of Object.values(template.Resources)) {
    if (!['AWS::Lambda::EventInvokeConfig', 'AWS::Lambda::EventSourceMapping'].includes(resource.Type)) continue;
    const destination = (((resource.Properties || {}).DestinationConfig || {}).OnFailure || {}).Destination;
    const target = destination && destination['Fn::GetAtt'] && destination['Fn::GetAtt'][0];
    if (target && (template.Resources[target] || {}).Type === 'AWS::SQS::Queue') queues.add(target);
  }
  return [...queues].sort();
}

module.exports = OpsAlarms;
