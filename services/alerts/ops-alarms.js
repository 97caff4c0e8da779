// The ops alarms plugin, shared by every service: osls loads local plugins from inside the service folder.
module.exports = require('../ops-alarms.js');
