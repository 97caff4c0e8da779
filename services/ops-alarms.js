'use strict';

// Serverless plugin: the operational alarms every service needs, derived from what it deploys, so a
// new function or failure queue is watched without copying alarm blocks. Each alarm notifies the
// service's ops topic (custom.opsAlarms.topic, default OpsTopic) when it fires and when it clears:
//   - every function: Errors and Throttles (any in 5 minutes);
//   - every function with a stream event: IteratorAge over 5 minutes for 10 minutes;
//   - every SQS queue that is an on-failure destination (asynchronous invocations and stream
//     mappings): a message waiting.
// A resource of the same logical id declared under resources.Resources wins over the generated one.

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
    const settings = (service.custom && service.custom.opsAlarms) || {};
    const topic = settings.topic || 'OpsTopic';
    if (Object.keys(service.functions || {}).length === 0) return;
    if (!template.Resources[topic]) {
      throw new this.serverless.classes.Error(
        `ops-alarms: the alarm topic ${topic} is not a resource of this service (custom.opsAlarms.topic)`
      );
    }
    const prefix = `${service.service}-${provider.getStage()}`;
    const alarms = {};
    const alarm = (logicalId, properties) => {
      alarms[logicalId] = {
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

    for (const [logicalId, resource] of Object.entries(alarms)) {
      if (!template.Resources[logicalId]) template.Resources[logicalId] = resource;
    }
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
