// archway/stream.js: the upstream of each TCP connection and UDP session
// of the stream {} block (js_set $archway_stream_peer archway.peer).
//
// archway writes the ready endpoints of each stream server to a file of
// its own, $archway_stream_endpoints/$archway_stream, one "address:port"
// per line, replaced atomically (rename). Reading it for every new
// connection makes an endpoint change take effect without a reload, and
// established connections stay on their endpoint. njs 0.7 keeps no state
// between sessions, so nginx's connection counter, shared by the workers,
// takes the endpoints in turn.
import fs from 'fs';

// NONE is the upstream without a live server: nginx closes the connection
// and logs "no live upstreams".
var NONE = 'archway_no_endpoints';

function peer(s) {
  return endpoint(s, s.variables.archway_stream);
}

// endpoint takes the next of the endpoints in the file name.
function endpoint(s, name) {
  var text;
  try {
    text = fs.readFileSync(s.variables.archway_stream_endpoints + '/' + name, 'utf8');
  } catch (e) {
    s.error('archway: endpoints of ' + name + ': ' + e.message);
    return NONE;
  }
  var endpoints = text.split('\n').filter(function (line) { return line.length > 0; });
  if (endpoints.length == 0) {
    return NONE;
  }
  return endpoints[Number(s.variables.connection) % endpoints.length];
}

// target returns the upstream of a passthrough connection: the HTTPS
// port's front and relay (stream_passthrough.tmpl) map its server name to
// an upstream ("archway_...") or to a backend's file of endpoints.
function target(s, value) {
  return value.indexOf('archway_') == 0 ? value : endpoint(s, value);
}

function passthroughPeer(s) {
  return target(s, s.variables.archway_passthrough);
}

function relayPeer(s) {
  return target(s, s.variables.archway_passthrough_backend);
}

export default {peer, passthroughPeer, relayPeer};
