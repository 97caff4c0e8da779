'use strict';

// Serverless plugin: finishes each Python function's zip for its runtime once serverless-python-requirements
// has put the requirements in (list it after that plugin): bytecode compiled by the runtime's Python
// version, and files no function loads left out. The work is lambda_zip.py's, beside this file; it runs
// on custom.pythonRequirements.pythonBin (python3), which hands over to a CPython of the runtime's version.
// It runs before the functions are compiled into the template, so their code hashes cover the final zips.

const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

class LambdaZip {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      'after:package:createDeploymentArtifacts': () => this.finish(),
      'after:deploy:function:packageFunction': () => this.finish(),
    };
  }

  finish() {
    const service = this.serverless.service;
    const requirements = (service.custom && service.custom.pythonRequirements) || {};
    const byRuntime = {};
    for (const name of Object.keys(service.functions || {})) {
      const fn = service.functions[name];
      const runtime = fn.runtime || service.provider.runtime;
      const artifact = (fn.package && fn.package.artifact) || (service.package && service.package.artifact);
      if (!runtime || !runtime.startsWith('python') || !artifact) continue;
      const zip = path.resolve(this.serverless.serviceDir || process.cwd(), artifact);
      if (!fs.existsSync(zip)) continue;
      byRuntime[runtime] = [...new Set([...(byRuntime[runtime] || []), zip])];
    }
    for (const [runtime, zips] of Object.entries(byRuntime)) {
      const python = requirements.pythonBin || 'python3';
      const script = path.join(__dirname, 'lambda_zip.py');
      const result = spawnSync(python, [script, '--runtime', runtime, ...zips], { encoding: 'utf8' });
      if (result.status !== 0) {
        const output = `${result.stdout || ''}${result.stderr || ''}${result.error || ''}`.trim();
        throw new this.serverless.classes.Error(`lambda-zip: finishing the ${runtime} zips failed:\n${output}`);
      }
      for (const line of result.stdout.trim().split('\n')) {
        if (line) this.serverless.cli.log(line);
      }
    }
  }
}

module.exports = LambdaZip;
