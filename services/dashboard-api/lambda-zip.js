// The zip finishing plugin, shared by every service: osls loads local plugins from inside the service folder.
module.exports = require('../lambda-zip.js');
