package members

import (
	"errors"
	"net/http"

	validation "github.com/pocketbase/ozzo-validation/v4"
)

// problem is how an error is shown to a member: a status and a catalog key.
type problem struct {
	status int
	key    string
}

// explain maps the module's domain errors to a status and a message key.
// ok is false for errors of ours (a 500, logged by the caller).
func explain(err error) (problem, bool) {
	for _, c := range []struct {
		err error
		p   problem
	}{
		{ErrPhoneInvalid, problem{http.StatusBadRequest, "phone.err_invalid"}},
		{ErrPhoneTaken, problem{http.StatusConflict, "phone.err_taken"}},
		{ErrPhoneSame, problem{http.StatusConflict, "phone.err_same"}},
		{ErrTooManyCodes, problem{http.StatusTooManyRequests, "phone.err_too_many_codes"}},
		{ErrResendTooSoon, problem{http.StatusTooManyRequests, "phone.err_resend_soon"}},
		{ErrNoCode, problem{http.StatusBadRequest, "phone.err_no_code"}},
		{ErrCodeExpired, problem{http.StatusBadRequest, "phone.err_expired"}},
		{ErrCodeWrong, problem{http.StatusBadRequest, "phone.err_wrong"}},
		{ErrTooManyAttempts, problem{http.StatusTooManyRequests, "phone.err_too_many_attempts"}},
		{ErrSMSFailed, problem{http.StatusBadGateway, "phone.err_sms"}},
		{ErrBindingRefused, problem{http.StatusForbidden, "phone.err_refused"}},
	} {
		if errors.Is(err, c.err) {
			return c.p, true
		}
	}
	return problem{http.StatusInternalServerError, "error.500"}, false
}

// fieldErrors turns PocketBase's record validation errors into message keys
// per field; ok is false when err is not a validation error.
func fieldErrors(err error) (map[string]string, bool) {
	var verrs validation.Errors
	if !errors.As(err, &verrs) {
		return nil, false
	}
	out := map[string]string{}
	for field, fe := range verrs {
		code := ""
		var ve validation.Error
		if errors.As(fe, &ve) {
			code = ve.Code()
		}
		switch code {
		case "validation_required":
			out[field] = "form.required"
		case "validation_not_unique":
			out[field] = "form.not_unique_" + field
		case "validation_min_text_constraint", "validation_length_too_short":
			out[field] = "form.too_short_" + field
		case "validation_max_text_constraint", "validation_length_too_long", "validation_length_out_of_range":
			out[field] = "form.too_long"
		case "validation_invalid_email", "validation_is_email":
			out[field] = "form.invalid_email"
		case "validation_invalid_mime_type":
			out[field] = "form.bad_file_type"
		case "validation_file_size_limit":
			out[field] = "form.file_too_big"
		default:
			out[field] = "form.invalid"
		}
	}
	return out, true
}
