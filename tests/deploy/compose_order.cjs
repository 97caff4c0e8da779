// Loads serverless-compose.yml with @osls/compose itself and prints each service's dependencies
// and the order `serverless deploy` would deploy them in. Usage: node compose_order.cjs <repo root>
'use strict';
const path = require('path');
const root = process.argv[2];
const compose = path.join(root, 'node_modules', '@osls', 'compose', 'src');
const read = require(path.join(compose, 'configuration', 'read'));
const { validateConfiguration } = require(path.join(compose, 'configuration', 'validate'));
const resolveVariables = require(path.join(compose, 'configuration', 'resolve-variables'));
const ComponentsService = require(path.join(compose, 'ComponentsService'));
// graphlib is the library compose itself orders services with.
const { alg } = require(require.resolve('@dagrejs/graphlib', { paths: [compose] }));
(async () => {
  const file = path.join(root, 'serverless-compose.yml');
  const configuration = await read(file);
  validateConfiguration(configuration, file);
  await resolveVariables(configuration, file, 'ci');
  const service = new ComponentsService({ root }, configuration, {});
  await service.init();
  const dependencies = {};
  for (const [name, component] of Object.entries(service.allComponents)) dependencies[name] = component.dependencies;
  process.stdout.write(JSON.stringify({ dependencies, deployOrder: alg.topsort(service.componentsGraph).reverse() }));
})().catch((error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });
