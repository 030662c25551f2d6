// `require('taosjs')` from CommonJS, then the round trip.
const { roundTrip } = require('./roundtrip.cjs')

roundTrip(require('taosjs'), require('taosjs/testing')).then(
  (message) => console.log(`require: ${message}`),
  (err) => {
    console.error(err)
    process.exit(1)
  },
)
