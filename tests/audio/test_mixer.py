from __future__ import annotations

from composer.audio.mixer import CHURCH_ORGAN, Mixer, VoiceMix, program_name


def test_default_is_an_organ_on_every_voice_and_all_heard():
    mixer = Mixer()
    assert all(v.program == CHURCH_ORGAN for v in mixer.voices)
    assert program_name(CHURCH_ORGAN) == "Church Organ"
    assert all(mixer.audible(i) for i in range(4))


def test_solo_silences_the_others_and_mute_beats_solo():
    mixer = Mixer().with_voice(1, solo=True)
    assert [mixer.audible(i) for i in range(4)] == [False, True, False, False]
    mixer = mixer.with_voice(1, muted=True)
    assert not any(mixer.audible(i) for i in range(4))


def test_channel_volume_follows_the_slider_and_is_zero_when_muted():
    mixer = Mixer().with_voice(0, volume=1.0).with_voice(2, muted=True)
    assert mixer.channel_volume(0) == 127
    assert mixer.channel_volume(2) == 0


def test_settings_round_trip_and_garbage_falls_back_to_defaults():
    mixer = Mixer().with_voice(3, program=52, volume=0.5, muted=True)
    assert Mixer.from_dict(mixer.to_dict()) == mixer
    assert Mixer.from_dict({"Soprano": {"program": "x"}}) == Mixer()
    assert Mixer.from_dict(None) == Mixer()
    assert VoiceMix(volume=3.0).volume == 1.0
