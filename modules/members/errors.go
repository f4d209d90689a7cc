package members

import (
	"errors"
	"net/http"

	validation "github.com/pocketbase/ozzo-validation/v4"

	"github.com/canyu/canyu/modules/internal/problem"
)

// problems shows the module's domain errors to members.
var problems = []problem.Rule{
	{Err: ErrPhoneInvalid, P: problem.P{Status: http.StatusBadRequest, Key: "phone.err_invalid"}},
	{Err: ErrPhoneTaken, P: problem.P{Status: http.StatusConflict, Key: "phone.err_taken"}},
	{Err: ErrPhoneSame, P: problem.P{Status: http.StatusConflict, Key: "phone.err_same"}},
	{Err: ErrTooManyCodes, P: problem.P{Status: http.StatusTooManyRequests, Key: "phone.err_too_many_codes"}},
	{Err: ErrResendTooSoon, P: problem.P{Status: http.StatusTooManyRequests, Key: "phone.err_resend_soon"}},
	{Err: ErrNoCode, P: problem.P{Status: http.StatusBadRequest, Key: "phone.err_no_code"}},
	{Err: ErrCodeExpired, P: problem.P{Status: http.StatusBadRequest, Key: "phone.err_expired"}},
	{Err: ErrCodeWrong, P: problem.P{Status: http.StatusBadRequest, Key: "phone.err_wrong"}},
	{Err: ErrTooManyAttempts, P: problem.P{Status: http.StatusTooManyRequests, Key: "phone.err_too_many_attempts"}},
	{Err: ErrSMSFailed, P: problem.P{Status: http.StatusBadGateway, Key: "phone.err_sms"}},
	{Err: ErrBindingRefused, P: problem.P{Status: http.StatusForbidden, Key: "phone.err_refused"}},
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
