// Package rotate plans and applies the rotation of application client
// secrets and certificates, keeping each new secret or certificate in
// Azure Key Vault.
//
// Plan is pure: from the inventory, the configuration and a clock it lists
// the credentials due (within rotation.renewDays of their end), what will
// be created (display name from rotation.description, lifetime from
// rotation.lifetimeDays capped by CW003's maximum), where the secret will
// go (a rotation target, else the vault secret tagged with the key id) and
// when the old credential may be removed.
//
// Apply carries a plan out one credential at a time, as a state machine
// whose every step is recorded in the store before the next begins:
//
//		pending ─▶ adding ─▶ added ─▶ stored ─▶ removing ─▶ done
//		   (1) addPassword   (2) vault write   (3) wait   (4) removePassword
//
//	 1. adding: the app's key ids are recorded, then addPassword is sent
//	    with the planned display name and end date. Its answer (the new key
//	    id) is recorded as added before anything else happens.
//	 2. added: the secret text, held only in memory since Graph's answer,
//	    is written to the vault as a new version with exp = the credential's
//	    end, the content type, and tags credwatchAppId and credwatchKeyId.
//	    The secret is never logged, printed, stored in credwatch's store or
//	    put in an error. If the vault refuses it, the new credential is
//	    removed again (rollback, then failed) and Apply stops with a
//	    *VaultWriteError. A write whose answer was lost is looked for among
//	    the secret's versions first; when even that fails, the rotation
//	    stays in added and the next run decides.
//	 3. stored: the old credential stays until its consumers have moved:
//	    the new key id has signed in and the old one has not for the grace
//	    period (from the appCredentialSignInActivities report), or the grace
//	    period since the vault write has passed and --remove-unconfirmed is
//	    given. Until then the rotation waits, and a later run goes on.
//	 4. removing: removePassword of the old key id (already gone counts as
//	    done).
//
// A crash at any point resumes on the next run without a second
// credential and without losing the new secret:
//
//   - stopped in adding (addPassword sent, answer not recorded): any
//     credential on the app that was not there before and carries the
//     planned display name was added by the lost call; its secret is gone,
//     so it is removed and the rotation starts again at pending.
//   - stopped in added (new key id recorded, vault write not recorded): if
//     the vault holds a version tagged with the new key id, the write
//     landed and the rotation moves on to stored. If not, the secret
//     existed only in the dead process's memory: the new credential is
//     removed and another one is added. This is why the key id is recorded
//     before the vault write.
//   - stopped in stored or removing: the step is simply taken again.
//
// Certificates go the other way round: the vault makes the certificate,
// so its private key never leaves it, and only then does Graph get the
// public key:
//
//		pending ─▶ issuing ─▶ adding ─▶ stored ─▶ removing ─▶ done
//		  (1) create in Key Vault  (2) addKey or PATCH  (3) wait  (4) removeKey
//
//	 1. issuing: Key Vault issues a new version of the certificate (RSA
//	    2048, self-signed, PEM secret; or, with Options.Import, imports the
//	    certificate given, as PEM, so its secret is PEM too: state
//	    importing), tagged credwatchRotationId.
//	    Before that, the run makes sure the certificate can then go on the
//	    app: when the app has a current certificate, addKey needs a proof
//	    of possession signed by a current certificate's key, so one must be
//	    a version of the target vault certificate, and a proof is signed
//	    with it; otherwise the rotation fails (ErrNoProofKey) with nothing
//	    changed. A vault refusal fails it with a *VaultWriteError; nothing
//	    was added to the app.
//	 2. adding: the version is recorded, then its public key is added:
//	    addKey with a proof (aud Azure AD Graph, iss the app's object id,
//	    ten minutes, RS256, x5t of the signing certificate) when the app
//	    has a current certificate, else PATCH of keyCredentials (which
//	    replaces the collection) with every certificate already there sent
//	    back with its key and the new one with a key id recorded
//	    beforehand. The credential starts now and ends when planned, within
//	    the certificate's validity.
//	 3. stored: as for secrets.
//	 4. removing: removeKey with a proof signed by a current certificate
//	    whose key is in the vault (normally the new one), else PATCH without
//	    the old one.
//
// The proof is signed with the key in the certificate's PEM secret, read
// for the signing and dropped; neither the key nor the proof is ever
// logged, stored or put in an error. A crash resumes without a second
// certificate or credential: in issuing, the version tagged with the
// rotation is looked for before issuing another; in adding, a credential
// with the new certificate's thumbprint (or the recorded key id) that was
// not on the app before is taken as added. A rotation in importing that
// a run without the file reaches waits for one given it, and the run goes
// on with the others.
//
// Graph writes are sent again after 429 and 503, which mean nothing was
// done; after 504 only removals and PATCH are, never addPassword or
// addKey, whose second call would add a second credential: the resume
// above finds what a timed-out call added.
//
// Each run holds the rotations it works on for a lease (10 minutes by
// default, renewed at every step), so two runs never move one rotation at
// once; a crashed run's rotations are taken over when its lease ends, or
// at once with Options.Takeover.
package rotate
