// Package video is gpcloud's video consultations: call state, waiting
// rooms and WebRTC signalling over WebSocket, for the workspace (the
// clinician) and the portal (the patient, a proxy, an invited
// interpreter).
//
// Media never passes through gpcloud: browsers connect to each other
// directly, or through a TURN relay (an external one named by
// --turn-url, or the embedded pion/turn server) when no direct path
// exists. gpcloud carries only the signalling (offers, answers, ICE
// candidates), presence, admission and text chat.
//
// Call state is operational, not clinical: it lives in the store's
// records (kind "video-call", one per appointment), so that every
// replica sees the same call. A message for a peer connected to this
// replica is delivered in process; one for a peer on another replica is
// written as a record of kind "video-sig:<call>" that the replica
// hosting that peer polls while the call has peers elsewhere, delivers
// and deletes. What a call means clinically (arrived, seen, the
// Encounter) is written by the workspace and the portal through the
// service, as the signed-in person.
package video
