"""Unit tests for the rule-based crisis detector (issue 4).

Every example here was written for these tests; none comes from the evaluation set.

The crisis examples are asserted on the full detector (:func:`assess`, rules and learned
tier). The hard negatives, and the tests of dampeners and everyday readings, document what the
RULES do, so they assert on :func:`assess_rules`: the learned tier is tuned recall first and
flags some of them (decision 0015; ``test_the_learned_tier_flags_few_hard_negatives`` holds
how many).
"""

from __future__ import annotations

import dataclasses
import time

import pytest

from quietline.safety import crisis
from quietline.safety.crisis import (
    CATEGORIES,
    CrisisAssessment,
    assess,
    assess_by_words,
    assess_rules,
    normalise,
)

SUICIDE = "suicide"
SELF_HARM = "self_harm"
OTHERS = "harm_to_others"

CRISIS: list[tuple[str, str]] = [
    # explicit suicidal ideation
    ("I want to kill myself", SUICIDE),
    ("i wanna kms", SUICIDE),
    ("im gonna unalive myself", SUICIDE),
    ("i'm gonna k1ll mys3lf", SUICIDE),
    ("I'm going to end it all tonight", SUICIDE),
    ("I've decided to end my life", SUICIDE),
    ("i'm suicidal", SUICIDE),
    ("i feel so suicidal tonight", SUICIDE),
    ("i keep thinking about suicide", SUICIDE),
    ("i wish i was dead", SUICIDE),
    ("Why do I want to die?", SUICIDE),
    ("I'm not okay, I want to die", SUICIDE),
    ("I can't stop thinking about killing myself", SUICIDE),
    # implicit ideation
    ("I don't want to be alive anymore", SUICIDE),
    ("I don't want to live anymore", SUICIDE),
    ("I d0nt w4nt to l1ve", SUICIDE),
    ("i dont want to be here anymore", SUICIDE),
    ("everyone would be better off without me", SUICIDE),
    ("no one would miss me if i was gone", SUICIDE),
    ("there's no reason to live", SUICIDE),
    ("what's the point of living", SUICIDE),
    ("life isn't worth living", SUICIDE),
    ("I'm so tired of being alive", SUICIDE),
    ("I can't go on like this", SUICIDE),
    ("I'm not sure I can keep going", SUICIDE),
    ("i can't do this anymore", SUICIDE),
    ("I hope I don't wake up tomorrow", SUICIDE),
    ("Honestly I just want to disappear forever", SUICIDE),
    ("I won't be alive by Friday", SUICIDE),
    ("I'm not going to be around by next week", SUICIDE),
    # method and plan
    ("I'm going to take all my pills tonight", SUICIDE),
    ("I took a whole bottle of sleeping pills", SUICIDE),
    ("the pills are ready", SUICIDE),
    ("I've been saving up my pills", SUICIDE),
    ("I'm thinking about overdosing", SUICIDE),
    ("I'm going to jump off the bridge", SUICIDE),
    ("im going to hang myself", SUICIDE),
    ("i have a plan and the rope is ready", SUICIDE),
    # goodbye messages
    ("This is goodbye. Thank you for everything.", SUICIDE),
    ("Thank you for everything, I'm sorry it ended this way. Goodbye.", SUICIDE),
    ("I won't need the appointment on Thursday.", SUICIDE),
    ("By the time you read this I'll be gone", SUICIDE),
    ("my suicide note is written", SUICIDE),
    # a past cue that comes back, a negated cue followed by "but i think about it"
    ("I tried to kill myself last night", SUICIDE),
    ("I won't kill myself but I think about it every day", SUICIDE),
    ('My mind keeps saying "just end it"', SUICIDE),
    # self-harm
    ("I've been cutting again", SELF_HARM),
    ("i cut myself last night", SELF_HARM),
    ("I want to burn myself", SELF_HARM),
    ("I keep wanting to hurt myself", SELF_HARM),
    ("I've been self harming every day", SELF_HARM),
    ("i used to cut but I've started again", SELF_HARM),
    ("I relapsed and cut myself again", SELF_HARM),
    ("the urge to cut is so strong tonight", SELF_HARM),
    # harm to others
    ("I'm going to kill him", OTHERS),
    ("I will stab my stepdad when he gets home", OTHERS),
    ("I want to shoot them all", OTHERS),
    ("I could kill her and I mean it", OTHERS),
    ("I'm scared I might hurt my baby", OTHERS),
    ("I keep having thoughts of stabbing my husband", OTHERS),
    ("i wanna shoot up the school", OTHERS),
    ("I want him dead", OTHERS),
    ("I'm going to hurt my ex", OTHERS),
]

NOT_CRISIS: list[str] = [
    # idioms
    "this traffic is killing me",
    "my feet are killing me",
    "work is literally killing me this week",
    "I'm dying to see that movie",
    "dead tired after work today",
    "kill two birds with one stone",
    "I killed it at my presentation",
    "I am going to kill it at my interview tomorrow",
    "I could die of embarrassment lol",
    "I'm so happy I could die",
    "I'd rather die than go to that party lol",
    "i'd kill for a coffee right now",
    "I need to cut myself some slack",
    "I'm killing myself at work this week",
    "I'm dead serious about quitting",
    "I wanna die my hair blue",
    "I'll shoot him a text",
    "I want to beat him at chess",
    "I hurt her feelings",
    "i want to end it with my boyfriend",
    "Kill the lights please",
    "my boss is going to kill me if I'm late",
    # joking hyperbole
    "My sister is going to kill me lol",
    "I'm going to kill my brother lol he ate my fries",
    "i could kill him for eating my leftovers",
    # negation, scoped to the clause
    "I don't want to hurt myself",
    "I would never kill myself",
    "I have no thoughts of suicide",
    "I'm not suicidal, just tired",
    "I don't want to die",
    "I don't want to hurt anyone",
    "I would never hurt my kids",
    "Thoughts of self-harm? None.",
    "I haven't cut since March",
    # past tense with recovery cues
    "I tried to kill myself years ago but I'm doing much better now",
    "I tried to kill myself in 2015 and I'm so glad I'm still here",
    "I used to self harm in high school",
    "I'm doing better, no urges to self harm this week",
    # quotes, media, third parties
    "I'm writing an essay on suicide prevention",
    "We watched a movie about a man who wants to die",
    "The book is about a girl who wants to end her life",
    'the song "I want to die" is stuck in my head',
    "My friend's dad died by suicide last year",
    "my brother tried to kill himself",
    "How do I know if someone is suicidal?",
    # accidents
    "I cut myself while cooking dinner",
    "I hurt myself at the gym",
    "I cut my finger chopping onions",
    # benign reasons, routines, ordinary goodbyes
    "I won't be around next week, I'm on vacation",
    "I won't need the appointment next week, I'm feeling much better",
    "Thank you for everything, see you next Tuesday!",
    "I have to remember to take all my pills every morning",
    "I can't go on the trip this weekend",
    "I don't want to be here at this party",
    "I don't want to live with my parents anymore",
    # screening questions and safety planning
    "the nurse asked if I wanted to hurt myself and I said no",
    "If I ever feel like hurting myself I will call the crisis line",
    # SMS spellings that are not crisis
    "I feel ill today",
    "ill call you tomorrow",
    "we jumped off the cliff into the lake",
    "",
]


# More crisis examples, written for these tests in the style of client texts (typos, SMS
# spellings, crisis content inside scheduling requests). Each kind of phrasing a rule covers has
# several examples in different words.
MORE_CRISIS: list[tuple[str, str]] = [
    # suicide: indirect wishes, burden, timelines, means, places, plans, goodbyes
    ("everybody would be so much happier if i just disappeared for good", SUICIDE),
    ("i feel like such a burden on my parents", SUICIDE),
    ("tired of being a burden to everyone i love", SUICIDE),
    ("im not gonna be anyone's problem for much longer", SUICIDE),
    ("i wont be around to see christmas", SUICIDE),
    ("pretty sure i wont make it through this weekend", SUICIDE),
    ("dont think ill still be here by next month", SUICIDE),
    ("ive been thinking about dying a lot lately", SUICIDE),
    ("death honestly sounds peaceful right now", SUICIDE),
    ("it would be such a relief to just not wake up tomorrow", SUICIDE),
    ("if i died in my sleep tonight i'd honestly be okay with that", SUICIDE),
    ("wouldnt mind if a truck hit me on the way home", SUICIDE),
    ("i hope i get hit by a car", SUICIDE),
    ("i give up", SUICIDE),
    ("ive given up on ever getting better", SUICIDE),
    ("i cant keep doing this", SUICIDE),
    ("im done with everything. i mean it", SUICIDE),
    ("i want to disappear and never come back", SUICIDE),
    ("i wish i could stop existing", SUICIDE),
    ("i should just die", SUICIDE),
    ("lost the will to live", SUICIDE),
    ("whats even the point anymore", SUICIDE),
    ("i cant see a future for me", SUICIDE),
    ("nothing matters anymore", SUICIDE),
    ("would anyone even care if i died", SUICIDE),
    ("i cant promise ill be alive next week", SUICIDE),
    ("im saying goodbye to everyone tonight", SUICIDE),
    ("gave away my guitar and all my books this week, dont need them where im going", SUICIDE),
    ("i wrote letters to my kids and my wife", SUICIDE),
    ("dont come looking for me", SUICIDE),
    ("ive made peace with it. goodbye", SUICIDE),
    ("sorry for everything. i love you all. bye", SUICIDE),
    ("thank you for trying so hard with me. goodbye", SUICIDE),
    ("cancel all my future appointments. thank you for everything", SUICIDE),
    ("i wont need any more sessions after this weekend", SUICIDE),
    ("im at the top of the parking garage", SUICIDE),
    ("standing on the overpass looking down", SUICIDE),
    ("im by the train tracks right now", SUICIDE),
    ("ive been reading about lethal doses of tylenol", SUICIDE),
    ("googled how to tie a noose", SUICIDE),
    ("whats the most painless way to die", SUICIDE),
    ("how many sleeping pills would it take to not wake up", SUICIDE),
    ("i just took 30 of my antidepressants", SUICIDE),
    ("swallowed the whole bottle of advil", SUICIDE),
    ("took a handful of my moms pills on purpose", SUICIDE),
    ("i drank bleach", SUICIDE),
    ("the rope is hanging in my closet", SUICIDE),
    ("i bought a gun today and i want to use it on myself", SUICIDE),
    ("my gun is loaded and next to me", SUICIDE),
    ("running the car in the closed garage", SUICIDE),
    ("im going to drive into a tree tonight", SUICIDE),
    ("i have it all planned out for friday, how and where", SUICIDE),
    ("i know exactly how and where im going to do it", SUICIDE),
    ("im not safe by myself tonight", SUICIDE),
    ("i dont feel safe with myself right now", SUICIDE),
    ("i cant keep myself safe", SUICIDE),
    ("im scared of what i might do tonight", SUICIDE),
    ("im about to do something stupid", SUICIDE),
    ("i might do something i cant take back", SUICIDE),
    ("i'm gonna kms fr", SUICIDE),
    ("thinking of unaliving myself", SUICIDE),
    ("i wanna catch the bus and never come back", SUICIDE),
    ("hey can we talk tmrw? i keep thinking everyone would be fine if i wasnt here", SUICIDE),
    ("i cant stop thinking about ending my life", SUICIDE),
    ("i'm so fucking done. i want out of this life", SUICIDE),
    ("ive started writing goodbye letters", SUICIDE),
    ("i keep thinking about jumping off my balcony", SUICIDE),
    ("counted out all my pills tonight", SUICIDE),
    ("i have enough pills saved up to do it", SUICIDE),
    ("i'm going to overdose tonight", SUICIDE),
    ("i hate being alive so much", SUICIDE),
    ("why am i even still alive", SUICIDE),
    ("i shouldnt be alive", SUICIDE),
    ("i'm tired of waking up every day", SUICIDE),
    ("i wish i never woke up this morning", SUICIDE),
    ("i wish i'd never been born", SUICIDE),
    ("i want to die so bad it hurts", SUICIDE),
    ("i feel like dying is the only option left", SUICIDE),
    ("there's no other option but to end it", SUICIDE),
    ("i'm ready to end it all", SUICIDE),
    ("i plan to end my life this weekend", SUICIDE),
    ("i'm thinking of taking my own life", SUICIDE),
    ("tomorrow i'm going to jump off the bridge on 5th", SUICIDE),
    ("i'm looking at the pills right now", SUICIDE),
    ("i bought rope today", SUICIDE),
    ("my mind keeps telling me to kill myself and i'm starting to listen", SUICIDE),
    ("not gonna be here much longer, thanks for trying doc", SUICIDE),
    ("please tell my mom i'm sorry", SUICIDE),
    ("ill be gone by the time u read this", SUICIDE),
    ("cancel thursday. i wont be needing it anymore. thanks for everything", SUICIDE),
    ("can i get a refund for next month? wont be using it. i'm going to end things soon", SUICIDE),
    (
        "whats ur fax number, need to send forms. also i cant stop thinking about killing myself",
        SUICIDE,
    ),
    ("sry i'm late on the bill. honestly might not be around to pay it", SUICIDE),
    ("can u call me. i have the pills in my hand", SUICIDE),
    ("confirming friday but tbh i dont know if ill make it to friday", SUICIDE),
    ("need to move my appt bc i'm in the er after taking too many pills", SUICIDE),
    ("just fyi i wrote a will and gave my dog to my neighbor", SUICIDE),
    ("plz reschedule, cant get out of bed, dont see the point of living", SUICIDE),
    ("reminder i cant come thurs. i've decided to end it", SUICIDE),
    ("thanks for the reminder. i wont need it. this is my last message", SUICIDE),
    ("i dnt wanna live anymor", SUICIDE),
    ("i wanna die fr", SUICIDE),
    ("kil me now i mean it i want to die", SUICIDE),
    ("i keep thinkin bout suicide", SUICIDE),
    ("been having sucidal thoughts all week", SUICIDE),
    ("i've been having thoughts of ending it all", SUICIDE),
    ("lowkey want to unalive", SUICIDE),
    ("ima end it tonight", SUICIDE),
    ("i'm worthless and everyone would be happier if i was dead", SUICIDE),
    ("i'm gonna jump", SUICIDE),
    ("i'm on the ledge of my building", SUICIDE),
    ("standing at the edge of the cliff", SUICIDE),
    ("i'm sitting on the tracks", SUICIDE),
    ("i took like 40 tylenol", SUICIDE),
    ("i wanna OD", SUICIDE),
    ("i have a rope and a chair ready", SUICIDE),
    ("i'm going to hang myself in the garage tonight", SUICIDE),
    ("my note is on my desk", SUICIDE),
    ("by sunday it'll be over for good", SUICIDE),
    ("i'm sitting in the bathtub with a razor", SUICIDE),
    ("i have everything i need to end it", SUICIDE),
    ("i swallowed my whole prescription an hour ago", SUICIDE),
    ("im in the woods with a rope", SUICIDE),
    ("i'm writing my goodbye texts now", SUICIDE),
    ("i've decided tonight is my last night", SUICIDE),
    ("i don't plan on waking up tomorrow", SUICIDE),
    ("i'm about to take everything in my cabinet", SUICIDE),
    ("i want to stop being alive", SUICIDE),
    ("everyone's lives would improve if i vanished", SUICIDE),
    ("i feel like i'm just taking up space and air", SUICIDE),
    ("it's pointless, i'm pointless, i want it over", SUICIDE),
    ("i can't imagine being alive next year", SUICIDE),
    ("i keep wondering what my funeral would be like", SUICIDE),
    ("sometimes i think my family would be relieved if i was gone", SUICIDE),
    ("i just want to stop existing for a while, permanently would be fine too", SUICIDE),
    (
        "sorry to bother you. just wanted to say thank you for everything. you won't hear "
        "from me again",
        SUICIDE,
    ),
    ("this will be the last time i text. thank you", SUICIDE),
    ("i'm tired. goodbye everyone", SUICIDE),
    ("i just wanted to thank you for trying. it's not your fault", SUICIDE),
    ("what's the late fee? doesn't matter, i won't be here to pay it", SUICIDE),
    ("can we do tele tomorrow? i can't leave the house and i keep looking at my pills", SUICIDE),
    ("kill my self tonight", SUICIDE),
    ("i'm suicdal again", SUICIDE),
    ("i want to end my lyfe", SUICIDE),
    ("is it normal to want to die every day?", SUICIDE),
    ("if things don't get better by friday i'm going to kill myself", SUICIDE),
    ("i'm gonna put a bullet in my head", SUICIDE),
    ("thinking about driving off the road on my way home", SUICIDE),
    ("i'd rather be dead than go through this again", SUICIDE),
    ("i won't see 30", SUICIDE),
    ("this is the last thing i'll ever send you", SUICIDE),
    ("i'm going to take my life", SUICIDE),
    ("i am the problem and removing myself fixes it", SUICIDE),
    ("i'm gonna disappear forever tonight", SUICIDE),
    ("my family will get the insurance money, it's better this way", SUICIDE),
    ("i don't think i can hold on much longer", SUICIDE),
    ("please don't be mad at me for what i'm about to do", SUICIDE),
    ("i'm sorry for what i'm about to do", SUICIDE),
    ("there's no hope left for me", SUICIDE),
    ("i hope i crash my car on the way home", SUICIDE),
    ("i sat in the car with a hose for an hour last night", SUICIDE),
    ("i'm so tempted to just take all my insulin", SUICIDE),
    ("i stood on the train platform and almost stepped off", SUICIDE),
    ("honestly i've been thinking it'd be easier for everyone if i just wasn't around", SUICIDE),
    ("im planning on doing it tonight after everyone goes to bed", SUICIDE),
    ("i've got the pills lined up on my desk", SUICIDE),
    ("i already said goodbye to my dog", SUICIDE),
    ("i wish i could just fall asleep forever", SUICIDE),
    ("i'm a waste of space and everyone knows it", SUICIDE),
    ("sent you a letter, don't open it until tomorrow", SUICIDE),
    ("this is my final goodbye", SUICIDE),
    ("you've been great but i'm ending things tonight", SUICIDE),
    ("i'm going to OD on my mom's oxy", SUICIDE),
    # self-harm: slang (sh), urges now, means kept or hidden, wounds, starving, walls
    ("sh urges are really bad today", SELF_HARM),
    ("i sh'd last night", SELF_HARM),
    ("relapsed on sh after 6 months", SELF_HARM),
    ("been burning myself with a lighter again", SELF_HARM),
    ("i used a lighter on my arm", SELF_HARM),
    ("my arms are covered in fresh cuts", SELF_HARM),
    ("i scratched my wrists until they bled", SELF_HARM),
    ("i deserve to hurt", SELF_HARM),
    ("i keep punching the wall until my hands bleed", SELF_HARM),
    ("hid blades under my mattress", SELF_HARM),
    ("the blade is right here next to me", SELF_HARM),
    ("took apart a pencil sharpener", SELF_HARM),
    ("i made myself throw up again to punish myself", SELF_HARM),
    ("not eating as punishment, day 3", SELF_HARM),
    ("cutting is the only way i can cope", SELF_HARM),
    ("i've been cutting my thighs so nobody sees", SELF_HARM),
    ("cut my wrists again last night, its bad", SELF_HARM),
    ("i want to slice my arms open", SELF_HARM),
    ("i keep scratching my skin until it bleeds", SELF_HARM),
    ("i've been hitting myself in the face when i get overwhelmed", SELF_HARM),
    ("i need a blade so bad right now", SELF_HARM),
    ("im gonna sh tonight i dont care", SELF_HARM),
    ("my self harm is getting worse", SELF_HARM),
    ("i've been pulling out my hair until i bleed and i can't stop", SELF_HARM),
    ("hi dr s, is my copay still 20? also i've been cutting again since sunday", SELF_HARM),
    ("gonna cut tonight", SELF_HARM),
    ("i need to cut", SELF_HARM),
    ("cut myself really deep, might need stitches, don't want to go to the er", SELF_HARM),
    ("i've been cutting for weeks and i can't stop", SELF_HARM),
    ("i hurt myself on purpose last night", SELF_HARM),
    ("the urge to self harm is so strong", SELF_HARM),
    ("been sh'ing again, sorry", SELF_HARM),
    ("i haven't eaten in 3 days because i don't deserve it", SELF_HARM),
    ("i hit myself with a belt last night", SELF_HARM),
    ("i keep my blade in my wallet", SELF_HARM),
    ("burnt my wrist with a lighter to calm down", SELF_HARM),
    ("the urges to cut are back and they're loud today", SELF_HARM),
    ("i'm so close to cutting right now", SELF_HARM),
    ("i've been hurting myself again", SELF_HARM),
    ("need a letter for work, also i'm scared i'll hurt myself tonight", SELF_HARM),
    ("running late, had to hide the knives from myself", SELF_HARM),
    ("i keep the knife under my pillow for when it gets bad", SELF_HARM),
    ("i bled through my sleeve at work from the cuts", SELF_HARM),
    ("i'm going to starve until i disappear", SELF_HARM),
    ("i burned my thighs with hot water on purpose", SELF_HARM),
    ("i need to punish myself for what i did", SELF_HARM),
    ("my dad hit me so i hit myself after", SELF_HARM),
    ("can you call me? i'm on the bathroom floor and i cut too deep", SELF_HARM),
    ("ive been burning my arms with cigarettes", SELF_HARM),
    ("i starve myself when i feel fat", SELF_HARM),
    # harm to others: intrusive thoughts, threats with a target, weapons, stalking, acts
    ("gonna hurt my roommate if she touches my stuff again, not kidding", OTHERS),
    ("i want to strangle my husband when he sleeps", OTHERS),
    ("i keep picturing stabbing my boss", OTHERS),
    ("what if i drown the baby in the bath", OTHERS),
    ("im scared of myself around my newborn", OTHERS),
    ("i dont trust myself alone with my kids right now", OTHERS),
    ("i'm going to beat the shit out of him when i see him", OTHERS),
    ("ill run him over with my car", OTHERS),
    ("i want to push my sister off the balcony", OTHERS),
    ("next time he says that im going to break his neck", OTHERS),
    ("im gonna make them all pay tomorrow at school", OTHERS),
    ("im bringing my dads gun to work monday", OTHERS),
    ("im going to shoot everyone in that office", OTHERS),
    ("i've been waiting outside her apartment every night", OTHERS),
    ("ive been following my ex to work every day", OTHERS),
    ("i slapped my son so hard he cried and i cant stop", OTHERS),
    ("i choked my girlfriend last night", OTHERS),
    ("i'm going to set fire to his car with him in it", OTHERS),
    ("if she leaves me i'll kill her, i swear", OTHERS),
    ("i'm going to hurt the next person who talks to me", OTHERS),
    ("i'm afraid i'll snap and hurt my kids", OTHERS),
    ("i'm going to kill my stepdad", OTHERS),
    ("i want to beat my son when he cries", OTHERS),
    ("i'm so angry i could stab my brother, and i mean that", OTHERS),
    ("i'm gonna kill that guy at the gas station tomorrow i swear", OTHERS),
    ("i had a dream about murdering my family and part of me liked it", OTHERS),
    ("i keep getting urges to push people onto the subway tracks", OTHERS),
    ("i've thought about poisoning my husband's coffee", OTHERS),
    ("i'm going to get a gun and go after my ex", OTHERS),
    ("i'm taking my knife to school tomorrow", OTHERS),
    ("my roommate better watch out, i'm going to hurt her tonight", OTHERS),
    ("i think i'm going to snap and hurt someone", OTHERS),
    ("im scared i'm going to hurt my kid", OTHERS),
    ("i keep thinking about hurting my baby", OTHERS),
    ("i'm going to kill my boss tomorrow, i have a plan", OTHERS),
    ("i'm going to stab him if he comes back", OTHERS),
    ("i want to shoot my neighbor", OTHERS),
    ("i'm going to hurt my wife if she doesn't stop", OTHERS),
    ("im gonna beat him up so bad he ends up in the hospital", OTHERS),
    ("i wanna murder my stepmom", OTHERS),
    ("my partner screamed at me and i thought about grabbing the knife and stabbing him", OTHERS),
    ("i have thoughts of smothering my baby with a pillow", OTHERS),
    ("i swear i'll put my coworker through a window if he touches my desk again", OTHERS),
    ("i'm going to make that teacher regret everything, i have a plan", OTHERS),
    ("i'm thinking about shooting up my job", OTHERS),
    ("i just want to hurt someone, anyone", OTHERS),
    ("i'm going to strangle my mother in law", OTHERS),
    ("i'm going to do something to my boss that he won't forget", OTHERS),
    ("someone is going to get hurt tonight and it's going to be my stepdad", OTHERS),
    ("i'm going to lose it and kill someone", OTHERS),
    ("i fantasize about my boss dying in a fire and i want to start it", OTHERS),
    ("i'm going to hurt that kid who bullied my son", OTHERS),
    ("i think about stabbing people on the bus", OTHERS),
    ("i want to throw my baby out the window, i'm so scared", OTHERS),
    ("i keep hearing a voice telling me to hurt my mom", OTHERS),
    ("i'm going to kill him when he gets home, i've got the knife", OTHERS),
    ("if one more person at work messes with me i'm bringing a gun", OTHERS),
    ("i keep having visions of strangling my daughter, please help", OTHERS),
    ("i'm about to go over to his house with a bat", OTHERS),
    # a last batch, written after the others: means at hand, passive wishes, hidden wounds
    ("i keep googling how long it takes to bleed out", SUICIDE),
    ("i'm on the 9th floor balcony and the railing is right there", SUICIDE),
    ("i filled the tub and i have my dad's razor blades", SELF_HARM),
    ("i've been putting my affairs in order, the kids will be ok without me", SUICIDE),
    ("don't bother rescheduling, i won't be coming back. ever", SUICIDE),
    ("just know none of this is your fault", SUICIDE),
    ("i honestly think my wife and kids deserve better than me being around", SUICIDE),
    ("i'm thinking about ending it, i just can't see any way this gets better", SUICIDE),
    ("i texted my sister goodbye and turned off location", SUICIDE),
    ("i want to disappear and not have anyone find me", SUICIDE),
    ("i wish a car would just hit me", SUICIDE),
    ("took 12 of my sleeping pills, feeling really drowsy now", SUICIDE),
    ("i mixed my pills with vodka tonight", SUICIDE),
    ("every night i think about the easiest way to go", SUICIDE),
    ("i need to kill myself before i ruin everyone's life more", SUICIDE),
    ("nobody would even come to my funeral", SUICIDE),
    ("i'm going to walk into the lake tonight", SUICIDE),
    ("i'm ready to go, i've said everything i needed to say", SUICIDE),
    ("been cutting on my hips so no one notices", SELF_HARM),
    ("i dug my nails into my arms till they bled", SELF_HARM),
    ("i slammed my hand in the door on purpose", SELF_HARM),
    ("i want to see blood again", SELF_HARM),
    ("used to be clean for a year, relapsed last night with a razor", SELF_HARM),
    ("i punched myself in the face over and over", SELF_HARM),
    ("i'm burning myself with matches when the panic hits", SELF_HARM),
    ("i'm going to carve his name into my arm", SELF_HARM),
    ("i keep having thoughts of running my ex over", OTHERS),
    ("i'm gonna knock his teeth in when i see him friday", OTHERS),
    ("i'm afraid i'm going to shake my baby when she won't stop crying", OTHERS),
    ("i want to hurt my coworker so bad, i keep imagining it", OTHERS),
    ("i'll slash his throat if he comes near my sister again", OTHERS),
    ("my stepdad's going to pay for what he did, i have my uncle's gun", OTHERS),
    ("i've been thinking about killing my parents while they sleep", OTHERS),
]

# More hard negatives: idioms, negation, recovered history, media and coursework, other people
# already getting help, accidents and medicines, ordinary goodbyes and scheduling.
MORE_NOT_CRISIS: list[str] = [
    "i could murder a burger right now",
    "my phone is dying, call u back",
    "dead battery again, can we do phone instead of video",
    "im dying to hear what you think of my journal",
    "i nearly died laughing at the dog",
    "we got crushed in the trivia game",
    "you're killing it with the new website",
    "she slayed that presentation",
    "omg i'm dead 😂",
    "traffic is brutal, 10 min late",
    "i'm so done with this week, see u thurs",
    "i'm done with my homework finally",
    "i just want this semester to be over",
    "i want this week to end already",
    "i give up on this printer lol",
    "i'm tired of fighting with my insurance company",
    "we need to stop fighting so much, can we do a couples session",
    "i have no intention of hurting myself",
    "never had any thoughts of killing myself",
    "no self harm urges at all this week",
    "zero thoughts of suicide, just anxiety",
    "i would never hurt my baby, just exhausted",
    "not planning to hurt anyone, i'm just venting",
    "i'm not going to do anything stupid, promise",
    "i used to cut when i was 14, i'm 30 now and doing great",
    "five years clean from cutting today 🎉",
    "i attempted in college but i'm in a really good place now",
    "back in 2018 i overdosed, i've been stable since",
    "i was suicidal after my divorce but i'm much better now",
    "my scars are from high school, they don't bother me now",
    "reading a novel where the main character wants to die",
    "we discussed self harm in my psych class today",
    "my essay is about suicide rates in farmers",
    "the podcast was about a man who killed his wife",
    "the show had a character who overdoses",
    "my friend said she wants to kill herself, we took her to the er and she's safe",
    "my sister self harms and she's in treatment now",
    "my dad shot himself when i was little, anniversary is tomorrow",
    "my son's friend died by suicide, how do i talk to him about it",
    "cut my thumb opening a package",
    "burned my arm on the oven rack",
    "hit my head on the cabinet door lol",
    "i scratched my arm on a rose bush",
    "the doctor said to take two pills every morning",
    "picked up my refill, can i take it with food?",
    "i took an extra ibuprofen for my back",
    "i'm moving to denver so i won't need sessions after this month",
    "i won't be around anymore after june, moving to ohio, thanks for everything!",
    "thank you for everything, see you next tuesday",
    "bye! see u thursday",
    "ok bye",
    "goodbye for now, talk soon",
    "i'm at the bridge, traffic is awful, running late",
    "i'm stuck on the bridge, there was an accident",
    "sitting on the roof fixing the gutters so might miss your call",
    "i have a plan for the weekend finally",
    "i have a plan to pay off the bill next month",
    "i know how and when to take my meds now",
    "my boss is going to kill me lol",
    "i'm going to kill my brother for eating my leftovers lol",
    "i could strangle my roommate when she leaves dishes in the sink 😂",
    "i want to punch my laptop",
    "i'm going to destroy my sister at mario kart tonight",
    "i hit my brother with a pillow lol",
    "i beat my dad at chess today",
    "i pushed my son on the swing today",
    "my kid keeps pretending to shoot me with his nerf gun",
    "we went to the shooting range with my dad, it was fun",
    "i bought a new knife set for the kitchen",
    "we went hunting with my uncle, he let me hold his rifle",
    "i'm going over to her house to study",
    "going to my ex's place to pick up my stuff, kind of nervous",
    "he'll regret not calling me lol",
    "she won't see it coming, it's a surprise party!",
    "i don't want to be a burden but can we reschedule?",
    "i feel like a burden asking this, but could i get a letter for work",
    "i'm not safe driving in this snow, can we do video",
    "i don't feel safe at home with my roommate's new boyfriend around",
    "i'm so scared of what my boss will do",
    "i'm going to do something drastic with my hair",
    "i'm going to do something nice for my mom",
    "nothing matters more than my kids",
    "i can't see a future with him, thinking of breaking up",
    "i don't see myself at this job in 5 years",
    "i'm beyond help with this spreadsheet lol",
    "it can't be helped, the office is closed monday",
    "my friend's dog died yesterday so i'm sad",
    "the plant is dead again",
    "shh the baby is sleeping",
    "sh*t i forgot my copay",
    "i left a note for my roommate about the dishes",
    "i wrote my note for the school about the absence",
    "i'm giving away my old baby clothes to a friend",
    "gave away my couch before the move",
    "please look after my cat while i'm on vacation? jk i know you can't lol",
    "i want to feel something other than anxious",
    "i deserve a break",
    "i need to feel heard",
    "my arm has a few cuts from my cat",
    "i wanted to say goodbye before my trip, see you in 2 weeks",
    "you were the only one who listened, thank you so much, see you next week",
    "it wasn't your fault the session ran over",
    "don't blame yourself for the billing mix up",
    "i'm going to end it with my boyfriend tonight",
    "i'm ending things with my therapist at work, want to switch to you",
    "i want to end my lease early",
    "if my roommate eats my food again i'll kill her lol",
    "i'm so tired of this rain lol",
    "ugh i want to die, i just sent my boss a meme by accident 😂",
    "lol i'm going to die if this exam is as hard as the last one",
    "my sister literally killed me with that joke",
    "just killed a huge spider, im shaking",
    "i stabbed my finger with a needle sewing",
    "my cat scratched my arm up, how do i clean it",
    "i shot a great video for my brothers wedding",
    "we're going to shoot some hoops after",
    "i was so angry i wanted to scream",
    "i cut my hair myself and it's a disaster",
    "cutting sugar has been hard",
    "im cutting back on caffeine",
    "i burnt the toast again",
    "i cant go on the trip, money is tight",
    "i don't want to go to work tomorrow lol",
    "i dont want to live with my mom anymore, looking for apartments",
    "can't keep doing these early sessions, can we move to afternoons?",
    "i'm going to end my subscription",
    "i want to end my contract with my landlord",
    "my pills make me sleepy, is that normal",
    "i took all my pills today like the doc said",
    "i'm saving my pills in a weekly organizer so i don't forget",
    "the pharmacy gave me too many pills, what do i do with extra",
    "i'm writing a paper on overdose deaths in the opioid crisis",
    "my book club is reading a memoir about a suicide survivor",
    "we talked about grief and death in group",
    "my grandpa wants to die at home, hospice is helping",
    "my mom keeps saying she wants to die since dad passed, she's seeing a grief counselor",
    "my daughter told me a girl in her class cuts herself, the school knows",
    "i've never thought about killing myself",
    "i'm safe, no thoughts of suicide",
    "not suicidal just exhausted",
    "i have no plans to end my life, just want to talk about work stress",
    "i don't feel like hurting myself anymore, the new meds work",
    "i haven't cut in over a year",
    "i was in a dark place last year, doing much better now",
    "when i was a teenager i tried to overdose, i'm 40 now and doing well",
    "i'm going to murder this pizza",
    "kill me now, another zoom call",
    "i'm going to kill it at the marathon",
    "bye for now! see you next week",
    "i'm leaving the practice because my insurance changed, thank you for everything",
    "goodbye! moving to portland, you've been the best therapist",
    "i'm done with therapy, i feel great, thanks for everything",
    "i have a knife in my kitchen drawer lol everyone does",
    "i bought a bat for my son's little league",
    "my dad has guns for hunting, is that something you need to know",
    "i'm on the roof deck at work for lunch, will call after",
    "going to my moms place tonight",
    "my ex is going to pay child support finally",
    "he's going to regret quitting that job",
    "my dog's dying and i'm so sad, can we talk about grief",
    "the heat is brutal, could die out here",
    "my grandma died last week, funeral is tuesday so i need to cancel",
    "i'm gonna die of boredom at this conference",
    "dying to tell u about my new job!!",
    "i'll be dead to the world after this night shift, can we do afternoon",
    "this commute is killing my soul lol",
    "i'm beat, talk tomorrow",
    "i feel like crap but not in a scary way",
    "i'm not thinking about hurting myself, just feel numb",
    "nah no self harm, just stressed about money",
    "i'd never do anything to hurt myself, my kids need me",
    "i haven't wanted to die in a long time, so that's good",
    "i used to self harm a lot in high school but i'm 2 years free",
    "i'm proud, 1 year since my last attempt and i'm doing well",
    "the suicide prevention walk is saturday, i'm volunteering",
    "my class read a poem about death, it was beautiful",
    "we learned about self harm warning signs at work training",
    "my teenager asked me what kms means, i was shocked",
    "my friend's brother overdosed, he's in recovery now",
    "my coworker cuts herself, should i tell hr?",
    (
        "my wife's been saying she wants to die, she saw her psychiatrist today and has a "
        "plan with them"
    ),
    "the tv show had a scene where someone jumps off a bridge",
    "i was in a car accident, just bruises, i'm fine",
    "cut my hand on a broken glass washing dishes",
    "my knee is bleeding from the fall but it's fine",
    "my meds ran out, can i get a refill",
    "took my meds late today, is that ok",
    "can i take ibuprofen with my antidepressant",
    "i've decided to end therapy, i'm in a good place, thank you for everything",
    "this is my last session before the move, goodbye and thank you!",
    "i won't need sessions after this month, insurance ran out, can we talk about sliding scale",
    "i'm going away for a while, rehab for 30 days, will be back after",
    "i'm leaving for the army next week, won't be around for a while",
    "my plan is to get to the office by 5",
    "i have a plan b if the bus is late",
    "we're gonna go over to her house for game night",
    "i'm going to kill this workout",
    "i could kill my sister lol she borrowed my car again",
    "i want to punch my ex in the face but i won't, i just need to vent",
    "my brother is gonna murder me when he finds out i broke his xbox",
    "the dog is going to kill me if i don't walk him lol",
    "i'm not safe to drive after this procedure so my mom is picking me up",
    "i feel unsafe walking to my car at night, can we do earlier",
    "i'm saying goodbye to my old apartment today",
    "i gave my old laptop to my cousin",
    "i give up trying to understand my insurance",
    "💀💀💀 that video",
    "lmaooo i'm deceased",
    "this workout is going to kill me",
    "my kids are driving me to an early grave lol",
    "i'd rather die than sing karaoke",
    "i'm gonna murder this exam",
    "killed two hours in the waiting room",
    "i'm dead inside after this meeting lol",
    "this weather is depressing, makes me want to hibernate",
    "i shot my shot with the cute barista",
    "ugh my life is a mess but i'm handling it",
    "to be clear, i'm safe and not thinking about suicide",
    "i said i wanted to die earlier but i was exaggerating, i'm fine",
    "no urges to hurt myself or others",
    "nope, no thoughts of self harm",
    "i would never act on the thoughts, they're just intrusive and i'm managing",
    "i'm not going to hurt anyone, just really mad at my dad",
    "i stopped cutting 3 years ago and i'm proud",
    "my last self harm was in 2019",
    "years ago i was suicidal, now i'm thriving",
    "old scars on my arms are from a long time ago, i'm ok now",
    "i don't self harm anymore, haven't in ages",
    "read a great book about a survivor of suicide loss",
    "my film class watched trainspotting, the overdose scene was rough",
    "i'm presenting on self injury in teens for my nursing class",
    "my mom's friend took her own life last year",
    "my cousin is in the psych ward after an attempt, she's safe now",
    "a student at my school died by suicide and i'm sad",
    "my brother threatened to hurt himself but he's with my parents and a crisis worker now",
    "had a root canal, my face is killing me",
    "i bruised my shin on the coffee table",
    "i burned my tongue on hot coffee",
    "got stitches after cutting my palm on a wine glass",
    "can you send my prescription to a different pharmacy",
    "my doctor changed my dose, i'm taking 3 pills a day now",
    "need to cancel all my appointments in june, traveling for work",
    "my new job starts monday so i'll need evening slots",
    "thank u! bye",
    "bye, see you next time!",
    "goodbye and thank you, i'm switching to a therapist closer to home",
    (
        "my daughter's dog died and she keeps saying she wants to die too, is that normal "
        "for a 6 year old"
    ),
    "we're killing it in therapy, i feel great",
    "going to my dad's house this weekend, kind of nervous",
    "i hid the cookies from myself lol",
    "i keep my razor in the shower",
    "i need a new razor, mine is dull",
    "i got so mad i threw my phone",
    "i want to dye my hair red",
    "dyeing my hair tonight!",
    "is it normal to feel sad after a breakup?",
    "how do i stop overthinking",
    "my birthday is coming up and i don't want a party",
    "i'm going to the bridge club after work",
    "i keep a knife in my car for cutting fruit lol",
    "i bled through my bandage after the surgery, nurse said it's normal",
    "i'm going to starve until dinner lol, skipped lunch",
    "i burned my thighs on the hot car seat, ouch",
    "i'm going to disappear for the weekend, camping with no signal",
    "my family will get insurance through my new job",
    "i can't hold on to friendships, why is that",
    "don't be mad but i'm going to miss thursday",
    "sorry for what i said last week",
    "i hope my car passes inspection",
    "i sat in the car and cried for an hour, but i'm ok",
    "my boss is on fire today, great meeting",
    "i want to throw my phone out the window lol",
    "there's no hope for my sports team this season",
    "i'm the problem in my relationships sometimes, want to work on that",
    "removing myself from the group chat was the best decision",
    "i'm not saying my mom is wrong but she's not right either",
    "someone is going to get hurt if they don't fix these stairs at work",
    "i stood on the platform for an hour, the trains were delayed",
    "i'm not trying to kill myself, i just forgot to eat lol",
    "my sister's baby is to die for, so cute",
    "i'm dead serious, i loved the book you recommended",
    "the new season killed off my favorite character 😭",
    "that comedian slayed, i nearly died laughing",
    "my team got destroyed in the finals",
    "he's a killer salesman, he should get promoted",
    "i'm going to kill my workout tomorrow",
    "the killer in the movie was so creepy",
    "we're watching a murder documentary tonight",
    "in my book club we're reading about a girl who self harms, it's hard to read",
    "i'm writing a paper on the history of suicide laws",
    "our class did a unit on the holocaust, heavy",
    "i saw the news about the shooting at the mall, scary",
    "i've never hurt myself and never will",
    "i'm not suicidal but i'm really sad",
    "i don't want to hurt my kids, i'm just overwhelmed, need parenting tips",
    "i've had no urges at all since we last talked",
    "thoughts of suicide? no. self harm? no. just stress",
    "i was cutting 10 years ago, stopped in college, doing fine now",
    "it's been 18 months since my attempt and i'm grateful to be alive",
    "i survived an overdose in 2016, now i'm a peer counselor",
    "i used to think about dying when i was depressed in my twenties, i'm much happier now",
    "my best friend died by suicide two years ago and today is hard",
    (
        "my son's teacher said a kid in class talked about killing himself, we're worried "
        "about how my son is handling it"
    ),
    "my mother overdosed last year, i'm still grieving",
    "my uncle used to beat my aunt, it still affects me",
    "my neighbor threatened to shoot my dog, should i call the police",
    "my husband says he'll kill himself if i leave, he's seeing a psychiatrist",
    "i sprained my wrist playing volleyball",
    "i have a cut on my lip from the dentist",
    "the burn on my hand from the oven is healing",
    "i need to cut back on coffee",
    "can i skip meals before my blood test?",
    "they took my blood and i almost passed out",
    "i hurt my back lifting boxes at the new place",
    "i'm on so many meds now, it's hard to keep track",
    "i threw up after the new pill, is that normal",
    "i'm going to the roof party tonight",
    "i'm at the overlook on the bridge taking photos with my kids",
    "please tell my mom i'll be late, she's in the waiting room",
    "i wrote a goodbye card for my coworker who's retiring",
    "i'm giving away my old clothes to the shelter, feels good",
    "i'm leaving the practice, i moved to texas, thanks for everything",
    "i'm done with this semester, finally",
    "i want to end this cycle of overthinking",
    "i'd kill for a day off",
    "i could die of happiness, i got engaged!",
    "my kids are going to be the death of me lol",
    "hi, is there any availability next tuesday after 5?",
    "my insurance card changed, can i send a photo",
    "i need to cancel friday, my daughter has the flu",
    "could we switch to every other week? money is tight",
    "is the office open on memorial day",
    "thanks for today, that exercise really helped",
    "i forgot my homework sheet at home, can i bring it next time",
    "my new insurance is cigna, are you in network",
    "i'm outside, buzzer isn't working",
    "sorry, wrong number",
    "what's the wifi password in the waiting room lol",
    "i just got out of a meeting, can we start at 3:15 instead",
    "zoom is frozen, calling back",
    "got the superbill, thanks!",
    "do you offer evening sessions?",
    "i'll pay the balance friday when i get paid",
    "my kid threw up at school so i need to cancel today",
    "i finally set boundaries with my mom, it went ok!",
    "had a panic attack at the grocery store, it passed but can we talk about it",
    "i've been sleeping a lot better this week",
    "i'm nervous about my job interview tomorrow",
    "my boss yelled at me today and i cried in the bathroom",
    "i feel lonely since the move",
    "the new medication makes me nauseous",
    "can we talk about my drinking next time? it's been more than i'd like",
    "my sister and i had a huge fight and i'm so angry at her",
    "i hate my job so much",
    "i'm so overwhelmed with the kids and work",
    "i feel like a failure sometimes",
    "my anxiety has been through the roof",
    "i didn't get out of bed until noon, feeling low",
    "i feel hopeless about finding a job",
    "i'm grieving my dad, some days are really hard",
    "i miss my ex so much it hurts",
    "i'm exhausted, the baby won't sleep",
    "i keep overthinking everything",
    "i snapped at my kids and feel terrible about it",
    "i'm angry at my husband for forgetting our anniversary",
    "i lost my temper at work",
    "i had a nightmare about my dad's death",
    "i keep having flashbacks about the accident",
    "i want to run away to a beach somewhere lol",
    "i need a break from everyone",
    "i feel invisible at work",
    "honestly i'm a mess today",
    "i cried all day yesterday",
    "my roommate's cat died and she's devastated",
    "my mom has cancer and i'm scared she's going to die",
    "my grandpa is dying, hospice says days",
    "the dog ate my homework, literally",
    "my coworker is a nightmare, i want to scream",
    "i'm going to strangle this printer",
    "the kids are killing me today lol",
    "that movie destroyed me, i sobbed",
    "i got murdered in the group chat for my bad joke",
    "this week has been the worst, so ready for the weekend",
    "i could sleep for a week",
    "i'm dead on my feet",
    "i nearly had a heart attack when the bill came",
    "we have a killer deal on the new apartment",
    "i'm taking my dog to the vet, might be late",
    "i'm stuck at the hospital with my mom, can we reschedule",
    "i'm in the er with my son, broken arm, need to cancel",
    "my therapist friend said i should ask you about emdr",
    "is it normal to feel numb after a breakup?",
    "i'm thinking about quitting my job",
    "i'm planning to move out in the spring",
    "i have a plan to talk to my boss about a raise",
    "i'm ready to end things with my girlfriend, i think it's time",
    "i finally ended it with him and i feel free",
    "i'm going to go through with the divorce",
    "i want out of this marriage",
    "i'm done with my ex for good",
    "i want this pain in my back to stop, pt isn't helping",
    "can't go on the trip with them this year",
    "i don't want to be here for the holidays, my family is toxic",
    "i can't keep doing this job, i'm burned out",
    "i need to stop drinking before i do something stupid at work",
    "i'm scared of what my dad will say when i come out",
    "i don't see the point of the homework you gave me, can we talk about it",
    "life is hard right now but i'm hanging in there",
    "i'm safe, just having a rough day",
    "i'm not in crisis, just want to book a session",
    "my doc said my blood work was fine",
    "i'm on a new antidepressant and it's helping",
    "can i take my meds before the session?",
    "i took the wrong pill this morning, it was my husband's vitamin lol",
    "i ran out of my anxiety meds, should i call my psychiatrist",
    "my cutting board broke lol",
    "i got a paper cut on the intake form",
    "i cut my bangs and regret it",
    "the cuts to my hours at work are stressing me out",
    "i'm cutting my sessions to every other week for budget",
    "i'm burning out at work",
    "i burned dinner again",
    "i hit the gym before our session",
    "i hit a wall with my thesis",
    "i banged my knee on the desk",
    "i punched the air when i got the job",
    "the bridge was closed so i'm late",
    "i'm at the train station, be there in 10",
    "i'm on the roof of my building watching the sunset, will call at 6",
    "i have a gun license for work as a security guard",
    "my husband keeps a gun in the house, is that something to discuss",
    "i'm taking a knife skills cooking class",
    "my son wants a toy gun for his birthday",
    "i want to kill the spider in my bathroom but i'm scared of it",
    "we killed the bottle of wine last night haha",
    "i'd kill to have your calm",
    "i'm so happy i could cry",
    "thank you for everything you've done for me this year, see you in january!",
    "it's my last session before maternity leave, thank you!",
    "bye for now, i'll text when i'm back from the trip",
    "i'm not going to need the appointment, i got a new job with better insurance",
    "i'm switching to my work's EAP so please cancel my future appointments, thanks for everything",
    "this line at the dmv is killing me",
    "i bombed my exam lol, i'm dead",
    "i could just die, i waved at someone who wasn't waving at me",
    "my kid's science project is going to be the death of me",
    "i want to disappear into a good book this weekend",
    "i'm so sick of this rain",
    "took 2 tylenol for my headache, feeling better",
    "i was in a car crash last year, i'm ok now but driving makes me anxious",
    "used to cut myself as a teen, 15 years clean now, i'm a nurse",
    "my friend from work tried to kill himself, he's in the hospital getting care now",
    "the character in the show cuts herself and it brought up memories, not urges",
    "i'm writing a novel where the villain poisons the king",
    "i'm not going to kill myself, i just wanted to be honest that i'm struggling",
    "no thoughts of hurting my baby, just exhausted, is that normal",
    "i'm going to knock this presentation out of the park",
    "we're going to crush the competition at work this quarter",
    "i nearly killed my plant by overwatering it lol",
    "i'm ready to go, waiting in the car outside",
    "don't bother rescheduling, i'll call when my schedule settles down",
    "i said goodbye to my grandma at the hospice today, she passed peacefully",
    "i filled the tub for the kids' bath and then called you",
    "i'm dying my hair blue tomorrow",
    "my dad keeps his rifle locked up for hunting season",
    "i punched the clock at 5 and came straight here",
    "i keep my kitchen knives sharp, i love cooking",
]


# Kinds of phrasing found missing when the held-out set became a second development set
# (docs/crisis-holdout-set.md). Each example is written for these tests, in different words
# from that set, to check that a whole kind of phrasing is caught, not one sentence.
FAMILY_CRISIS: list[tuple[str, str]] = [
    # a dropped final g, slang used as an adjective or a verb, misspelled past tenses
    ("keep thinkin about killin myself", SUICIDE),
    ("been plannin how to end it", SUICIDE),
    ("havin unalive thoughts again tonight", SUICIDE),
    ("kms thoughts wont stop", SUICIDE),
    ("i wanna suicide", SUICIDE),
    ("might just commit tbh", SUICIDE),
    ("totally relapsd, sh'd twice lastnite", SELF_HARM),
    # rather vanish or not exist, with or without "than ..."
    ("honestly i'd rather vanish for good than keep feeling like this", SUICIDE),
    ("id rather not exist at all", SUICIDE),
    ("i would sooner stop existing than go back to that job", SUICIDE),
    # hoping, wishing or praying (any verb form) for a fatal accident to oneself
    ("every time i get on a plane i hope it goes down", SUICIDE),
    ("i wish the bus i take home would crash", SUICIDE),
    ("i prayed i'd get hit by a truck on the walk home", SUICIDE),
    ("kind of hoping my flight goes down tbh", SUICIDE),
    ("i hoped the car would flip on the highway", SUICIDE),
    ("sometimes i hope i'd get killed in a crash", SUICIDE),
    # goodbyes: a conditional disappearance, a heading, "my goodbyes", a named person,
    # no more sessions, passwords left
    ("in case you never hear from me again, thank you for trying", SUICIDE),
    ("last message: i love you all", SUICIDE),
    ("i've been saying my goodbyes quietly all week", SUICIDE),
    ("please tell jordan i'm sorry for everything", SUICIDE),
    ("i won't be coming to any more appointments. goodbye", SUICIDE),
    ("wrote down all my passwords for my sister. bye", SUICIDE),
    ("im so done, if u dont hear from me after tonight its not ur fault", SUICIDE),
    ("consider this my final text. thanks for everything you tried", SUICIDE),
    ("if you never get another message from me, i'm sorry", SUICIDE),
    # the past mentioned because it is back now: relapse words, a streak that just ended,
    # "i keep ..."
    (
        "i overdosed in 2018 and i'm starting to feel that way again, i keep counting my pills",
        SUICIDE,
    ),
    ("the thoughts of hurting my son that i had after he was born, they're back", OTHERS),
    ("i was 6 months clean from cutting but i relapsed tonight", SELF_HARM),
    ("broke my 200 day streak today, cut again", SELF_HARM),
    ("years ago i used to burn myself. the urges are back and they're loud", SELF_HARM),
    ("i almost did it last night, the cutting", SELF_HARM),
    ("my old urges to cut have come back this month", SELF_HARM),
    ("i slipped last night, there's blood on my sheets from the cutting", SELF_HARM),
    ("4 months clean from self harm and i just relapsed, i'm a mess", SELF_HARM),
    ("tried to overdose at 19, and i've started stockpiling again", SUICIDE),
    ("feel exactly the way i felt right before my attempt", SUICIDE),
    ("same headspace as right before my overdose", SUICIDE),
    ("back in that same headspace from before, and i've got a plan", SUICIDE),
    # pills: stockpiling without a noun, taking them all at once, laid out, with alcohol,
    # refilled early
    ("i've been stockpiling my sleeping pills", SUICIDE),
    ("i keep saving them up to take all at once", SUICIDE),
    ("all my meds are out on the table in front of me", SUICIDE),
    ("i have a bottle of painkillers and some whiskey here with me", SUICIDE),
    ("got my refill early so i'd have enough, you know what for", SUICIDE),
    ("started stashing again", SUICIDE),
    ("im sitting here with the pills and a bottle of vodka", SUICIDE),
    # other means and places: thinking about jumping, the steering wheel, "use it on myself",
    # a bath and blades
    ("i can't stop thinking about jumping off the parking garage", SUICIDE),
    ("i keep picturing jumping in front of the train", SUICIDE),
    ("part of me wants to just jerk the wheel into oncoming traffic", SUICIDE),
    ("sometimes i picture turning the knife on myself", SUICIDE),
    ("got a razor from the cabinet and the tub is filling", SUICIDE),
    ("i keep driving to the bridge and thinking about jumping from it", SUICIDE),
    ("i keep imagining turning the wheel into a tree", SUICIDE),
    # a plan or a date with one more sign, written plans for how to end it, not being around
    ("i have a plan now and i'm frightened of myself", SUICIDE),
    ("i chose the day. friday. everything's in place", SUICIDE),
    ("been working out how to end it, nearly done", SUICIDE),
    ("my plans for how to end it are finished", SUICIDE),
    ("dont know if ill even be around by friday", SUICIDE),
    ("don't think i'll even be around by then", SUICIDE),
    ("rent won't matter after this weekend", SUICIDE),
    ("none of this will matter by next week", SUICIDE),
    # harm to others: a first name as the target, "they all deserve to die", a possessive
    # place, a weapon after an assault
    ("i'm going to stab kyle when he gets off his shift", OTHERS),
    ("swear im gonna kill marcus tonight", OTHERS),
    ("going to beat the hell out of tyler next time i see him", OTHERS),
    ("i'm driving to my ex's place and i'm going to hurt her", OTHERS),
    ("every last one of them deserves to die", OTHERS),
    ("i got a gun to take care of the man who raped me", SUICIDE),
    ("he's not walking away from this, i promise, i'll hurt him", OTHERS),
    ("im gonna strangle becca when she gets home", OTHERS),
    ("i will murder dave tomorrow, i'm not joking", OTHERS),
    ("i'm about to go punch derek, he's right outside", OTHERS),
    ("i want to hurt jess so she knows how it feels", OTHERS),
    ("those people deserve to die and i'm gonna do it", OTHERS),
    ("i know where he lives and i have his address now, i'm going to make him pay", OTHERS),
    # self-harm: every form of the verb, hitting oneself to cope, blades bought or out
    ("i keep punching my thighs to feel something", SELF_HARM),
    ("been biting my arm to make the thoughts stop", SELF_HARM),
    ("i smack my head against the door whenever i get panicky", SELF_HARM),
    ("i slam my fist into the wall every time i feel anxious", SELF_HARM),
    ("bought a pack of razor blades today, please dont be mad", SELF_HARM),
    ("took a fresh blade out again tonight", SELF_HARM),
    ("scratchin my arms till they bleed again", SELF_HARM),
    ("i keep burning my wrist with a lighter to feel something", SELF_HARM),
    ("i've been smashing my fists into the wall whenever i get triggered", SELF_HARM),
]

# Hard negatives for the same kinds of phrasing.
FAMILY_NOT_CRISIS: list[str] = [
    # slang and spelling
    "been thinkin about dinner plans",
    "my cousin kevin is takin insulin now",
    "the movie was killin me lol",
    "unalive is a word people use on tiktok, what does it mean",
    "its been a good week, see u tuesday",
    # rather, hoping, praying
    "i'd rather disappear into a book this weekend",
    "i'd rather vanish for a week to the beach than go to that party",
    "i'd rather disappear into the mountains for a hiking trip",
    "i hope the plane doesn't crash lol, nervous flyer",
    "hoping my flight lands on time",
    "i pray my car makes it through the winter",
    "i hope my flight isn't delayed",
    # ordinary goodbyes and apologies
    "if you don't hear from me by friday, assume thursday works",
    "final message about billing: the invoice is paid",
    "saying my goodbyes to the old apartment today, moving out",
    "please tell dr kim i'm sorry i can't make it, i'm sick",
    "please tell sam i'm sorry i missed the call",
    "i won't need any more sessions this month, doing great",
    "bye! i left my passwords for the portal with my husband so he can pay",
    # the past, told as history
    "i used to fantasize about jumping off the pier, we fished from it this morning, i was happy",
    "back when i was a teen i wanted to die, now i volunteer at a crisis line",
    "last relapse was in 2021, 3 years strong now",
    "the time i wanted to die feels like a different life",
    "i remember when i thought about suicide every day, so glad that's over",
    "i used to cut, but i've been clean for 6 years and feel great",
    "after 3 years clean i'm proud, no relapse",
    "i relapsed a few times in my twenties but i'm solid now",
    "the urges are gone this week, feeling proud",
    "i used to think about dying a lot back then, now i feel alive",
    "i was suicidal when i was 16, that was a long time ago, i'm ok",
    "my last attempt at baking was a disaster",
    "i feel like i did right before my wedding, nervous but excited",
    # relapse and urges about something else
    "i relapsed on sugar last night lol",
    "i slipped up and had two beers after 90 days sober",
    "clean for 2 years from drinking and i relapsed, feel awful",
    "the urge to smoke is back after 3 weeks",
    "relapsed with vaping last night, ugh",
    "i almost did it last night, almost called my ex",
    "my relapse on cigarettes was last month, ugh",
    "i cut back on coffee and i feel better",
    "she's back from her trip, can we do thursday",
    "they're back together and i'm happy for them",
    "my headaches are back, should i see a doctor",
    # pills, routines, stockpiles of other things
    "i'm stockpiling canned food for winter",
    "we're stockpiling diapers before the baby comes",
    "can i take all my vitamins at once or spread them out",
    "i put my pills out on the counter so i remember to take them",
    "filled my prescription early because i'm traveling",
    "my mom has been hoarding for years, her house is full",
    # jumping, driving and "on myself" in ordinary senses
    "thinking about jumping into the pool after work",
    "we keep thinking about jumping on the new trend",
    "i keep thinking about jumping back into dating",
    "instructor said to turn the wheel into the skid",
    "i used the new face cream on myself and my daughter",
    # plans and things that will not matter
    "i have a plan for the budget, i'm scared of the numbers",
    "i'm scared about the budget, i have a plan though",
    "i have a plan now for paying rent, thanks",
    "i have a plan to study for the exam",
    "set the date for our housewarming. everything's sorted now",
    "i know how to end the story",
    "the late fee won't matter after friday since insurance covers it",
    "grades won't matter after graduation anyway lol",
    # a word after a violent verb that is not a person
    "i'm going to kill it at the interview",
    "i'm going to shoot hoops tonight",
    "going to attack laundry after work",
    "i'm going to beat traffic if i leave now",
    "i'm going to hurt tomorrow after leg day",
    "i'm going to kill netflix this weekend, so many shows",
    "i'm going to kill dinner tonight, new recipe",
    "going to shoot photos at the wedding tomorrow",
    "i'm going to punch out early today",
    "im gonna kill my workout tomorrow",
    "i'm going to attack this project when i get home",
    "gonna beat the crap out of this cold",
    "i want to beat sarah at scrabble tonight",
    "i'm going to crush jenna at mario kart",
    "he won't walk away from the deal, he wants it too much",
    "my sister says her boss deserves to die lol",
    "going over to my mom's house for dinner",
    # hitting, biting and blades by accident or for shaving
    "i keep banging my head against the wall with this insurance stuff",
    "my daughter keeps banging her head on the crib, is that normal",
    "i keep hitting my knee on the desk lol",
    "i bit my tongue while eating",
    "i hit my hand on the door by accident",
    "bought new razor blades today for my safety razor",
    "the blades for the box cutter at work are out",
    "i have my razor out to shave",
]


# Written for the sensitive tier (decision 0015), before it was tuned: risk said in unusual
# words (regional slang, second-language phrasing, typos), risk in the second or third
# sentence of an ordinary message, and past-then-present. The first look at these, before any
# tuning on them, is in the decision record.
SENSITIVE_CRISIS: list[tuple[str, str]] = [
    (
        "had a rough week at work. also the rope is in the garage and i keep thinking about it",
        SUICIDE,
    ),
    ("can u move my appointment to thurs? not sure ill still be here by then tbh", SUICIDE),
    ("i am very tired of the life, i think to finish it this weekend", SUICIDE),
    ("me I dont want to exist no more, is too much", SUICIDE),
    ("feelin proper gutted, might just top meself tonight", SUICIDE),
    ("thinkin of doin myself in, nobody'd notice", SUICIDE),
    ("the blade is back in my pencil case", SELF_HARM),
    ("was 2 yrs clean from sh. tonight i'm bleeding again", SELF_HARM),
    ("i used to burn my arms in college. last night i did it again with a lighter", SELF_HARM),
    (
        "I was in hospital after an overdose in 2019. Now I have been collecting my pills again",
        SUICIDE,
    ),
    ("im so done with everything, whats the point anymore", SUICIDE),
    ("i cant do this no more, im giving up on everything", SUICIDE),
    ("sorry for everything i put you all through. its better this way", SUICIDE),
    ("pls tell my sister i loved her. goodbye", SUICIDE),
    ("I'm a burden to my whole family, they would be happier if I disappear", SUICIDE),
    ("my husband keeps a gun in the closet and i keep going to look at it", SUICIDE),
    ("standing on the bridge near my flat rn", SUICIDE),
    ("gonna jump, its high enough", SUICIDE),
    ("how many paracetamol does it take to not wake up", SUICIDE),
    ("i swear if my stepdad lays hands on mum again im going to stab him", OTHERS),
    ("got my brothers knife in my bag for when i see that guy from school tomorrow", OTHERS),
    (
        "i want to hurt the kids in my class who laugh at me. i think about bringing a weapon",
        OTHERS,
    ),
    ("next time he shoves me i'm gonna end him", OTHERS),
    ("Can we reschedule Friday? Also I cut again last night, deeper than before", SELF_HARM),
    ("Invoice attached for last month. I havent eaten in days and i want to die", SUICIDE),
    ("running 10 min late. honestly dont know why i bother, i wont be around much longer", SUICIDE),
    ("i keep scratchin my skin till it bleeds", SELF_HARM),
    ("i did sh again", SELF_HARM),
    ("i relapsed with the razor", SELF_HARM),
    ("it would be easyer if i just wasnt here", SUICIDE),
    ("i wnat to die", SUICIDE),
    ("sucidal again tonight", SUICIDE),
    ("i m thinking to kil my self", SUICIDE),
    ("im a waste of space, the world would be better w/o me", SUICIDE),
    ("Lost my job. Lost my flat. Ive got nothing left and the pills are right here", SUICIDE),
    ("The car is in the garage and I have the hose. Just wanted someone to know", SUICIDE),
    ("i've written letters to everyone. tonight is the night", SUICIDE),
    ("Please look after my cat for me. I won't be needing anything anymore", SUICIDE),
    (
        "I used to think about killing myself at uni. Those thoughts are back now and louder",
        SUICIDE,
    ),
    ("i got better after rehab last year but i want to die again", SUICIDE),
    ("hey. quick one. do u know how much insulin is fatal", SUICIDE),
    ("i want to go to sleep forever", SUICIDE),
    ("I dont see a way out of this. I just want it all to end", SUICIDE),
    ("everything hurts and i want to stop existing", SUICIDE),
    ("i'm gonna off myself", SUICIDE),
    ("thinkin bout ending it ngl", SUICIDE),
    ("life's pointless innit, might as well be dead", SUICIDE),
    ("I feel like I am no use for nobody, better I go away forever", SUICIDE),
    ("my brain keeps telling me to cut. i bought new blades today", SELF_HARM),
    ("i hit my head against the wall until it bled", SELF_HARM),
    ("punched the mirror on purpose to feel pain", SELF_HARM),
    ("i'm starving myself on purpose to punish myself", SELF_HARM),
    ("I'll make sure he never hurts anyone again. I know where he parks", OTHERS),
    ("if she posts one more thing about me i'll shoot her", OTHERS),
    ("want to smash my ex's head in with a bat", OTHERS),
    ("thx for the session. also I'm going to drive into a tree on the way home", SUICIDE),
    ("I have been stockpiling my meds for a month", SUICIDE),
    ("the voices say to hurt my baby and i am scared i will", OTHERS),
    ("can't go on. sorry mum", SUICIDE),
    ("i give up on life. no point anymore", SUICIDE),
    ("we good for tuesday? btw been having thoughts of hanging again", SUICIDE),
    ("idk why i'm still here. everyone would be fine without me", SUICIDE),
    ("i feel like disappearing for good", SUICIDE),
    ("I need to finish with myself, I cannot take more", SUICIDE),
    ("im gonna overdose tonite", SUICIDE),
]

# Hard negatives for the sensitive tier: risk words in everyday readings.
SENSITIVE_NOT_CRISIS: list[str] = [
    "my phone is dead and i'm at the bridge club, call you later",
    "i don't want to die, i want things to get better",
    "never had thoughts of killing myself, just stressed about money",
    "I used to cut in high school but I've been clean for six years and I'm proud",
    "we killed it at the gig last night",
    "that boss fight in elden ring killed me like 40 times",
    "I burned the garlic bread again, smoke alarm going off",
    "cut my hair short today, feels great",
    "the razor scooter my son got for his birthday is a hit",
    "I give up on trying to keep the kitchen clean with three kids lol",
    "I'm done with this week, so ready for the weekend",
    "there's no point arguing with my landlord, he never listens",
    "My grandad passed away in March, still miss him, but we're doing ok",
    "going to be gone for two weeks on holiday, see you after",
    "we got hammered in the match on saturday, our keeper was dead on his feet",
    "i'm dying to see the new season of that show",
    "im so sorry for being late again, the bus broke down",
    "i had a blood test today and bled a bit, no big deal",
    "hanging out with my cousins this weekend",
    "we hung the new curtains and the flat looks amazing",
    "the film had a suicide scene that made me cry but i'm fine",
    "i jumped into the lake on holiday, freezing!",
    "our gun club has a safety course on sunday",
    "the pills the doctor gave me for my back are helping",
    "Goodbye January, hello February!",
    "I feel like I'm gonna die of embarrassment, I called my teacher mum",
    "my sister said she wanted to kill me for losing her charger lol",
    "haven't self harmed in 3 years, and i don't miss it",
    "i nearly cut my finger off chopping carrots",
    "dead tired after the night shift",
    "can't do this maths homework, so hard",
    "I disappeared from social media for a month and feel so much better",
    "my plants are dying, I keep forgetting to water them",
    "i'm not suicidal, just really tired and sad about the breakup",
    "was at the bridge with my dog taking photos of the sunset",
    "I hurt my back lifting boxes at work",
    "killed a spider the size of my hand today",
    "my uncle hunts and keeps his rifle locked in a safe",
    "got my ears pierced and it bled a little",
    "In the game I jumped off a cliff by mistake and respawned lol",
    "sorry for everything I said at the party, I was rude, can we talk tomorrow?",
    "the hangover is killing me but worth it",
]


@pytest.mark.parametrize(
    ("text", "category"), CRISIS + MORE_CRISIS + FAMILY_CRISIS + SENSITIVE_CRISIS
)
def test_crisis_messages_are_flagged(text: str, category: str) -> None:
    result = assess(text)
    assert result.crisis, result.reasons
    assert category in result.categories


@pytest.mark.parametrize(
    "text", NOT_CRISIS + MORE_NOT_CRISIS + FAMILY_NOT_CRISIS + SENSITIVE_NOT_CRISIS
)
def test_non_crisis_messages_are_not_flagged(text: str) -> None:
    # The rules' behaviour (assess_rules): the learned tier flags a few of these, recall first;
    # test_the_learned_tier_flags_few_hard_negatives bounds how many.
    result = assess_rules(text).assessment
    assert not result.crisis, result.reasons
    assert result.categories == ()


def test_examples_are_many_and_distinct() -> None:
    texts = [t for t, _ in CRISIS + MORE_CRISIS + FAMILY_CRISIS] + NOT_CRISIS + MORE_NOT_CRISIS
    texts += FAMILY_NOT_CRISIS + [t for t, _ in SENSITIVE_CRISIS] + SENSITIVE_NOT_CRISIS
    assert len(texts) >= 80
    assert len({t.lower() for t in texts}) == len(texts)
    assert len(SENSITIVE_CRISIS) >= 60
    assert len(SENSITIVE_NOT_CRISIS) >= 40


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("the hose is in the car and i keep thinking about it", "sensitive.means"),
        # "no more" after the cue is "anymore", so the rule now reads it too (decision 0015)
        ("me I dont want to exist no more, is too much", "suicide.dont_want_to_live"),
        ("bills are all paid. honestly i'm ready to not exist", "sensitive.death"),
        ("Can we reschedule Friday? Also I bled again last night", "sensitive.self_harm"),
        ("invoice is paid. i feel like disappearing for good", "sensitive.death"),
    ],
)
def test_the_sensitive_tier_flags_risk_words_no_rule_recognises(text: str, reason: str) -> None:
    """Risk vocabulary stands unless an everyday reading is recognised in its own clause."""
    result = assess(text)
    assert result.crisis
    assert reason in result.reasons, result.reasons


@pytest.mark.parametrize(
    ("text", "dampener"),
    [
        ("my phone is dead, call you later", "everyday"),
        ("i don't want to disappear, i want help", "negated"),
        ("two years since my overdose and i'm doing well", "past"),
        ("the blade on the blender is so dull", "everyday"),
        ("pick up my pills at the pharmacy on the way home", "routine"),
        ("can i bring my pills to the session", "no_context"),
    ],
)
def test_the_sensitive_tier_sets_aside_everyday_readings(text: str, dampener: str) -> None:
    result = assess_rules(text).assessment  # the rules' behaviour, without the learned tier
    assert not result.crisis, result.reasons
    assert any(r.startswith("sensitive.") and r.endswith("~" + dampener) for r in result.reasons), (
        result.reasons
    )


def test_a_risk_word_in_a_later_sentence_is_not_hidden_by_an_ordinary_first_one() -> None:
    # "reschedule" and "invoice" are everyday only in their own sentence.
    assert assess("can we reschedule? honestly i want to be gone").crisis
    assert not assess_rules("can we reschedule? my car is dead").assessment.crisis


@pytest.mark.parametrize(
    ("text", "dampener"),
    [
        ("I don't want to hurt myself", "negated"),
        ("I used to self harm in high school", "past"),
        ('the song "I want to die" is stuck in my head', "quoted"),
        ("My friend's dad died by suicide last year", "third_party"),
        ("I'm writing an essay on suicide prevention", "topic"),
        ("I cut myself while cooking dinner", "accident"),
        ("I'm going to kill my brother lol he ate my fries", "hyperbole"),
        ("I won't be around next week, I'm on vacation", "benign_reason"),
        ("Thank you for everything, see you next Tuesday!", "no_finality"),
        ("i want to strangle him, but i won't, i'm just venting", "retracted"),
        ("said i wanted to die at lunch, but i was just being dramatic", "retracted"),
        ("this printer hates me. i give up", "everyday"),
        ("i won't be around anymore after may, i'm relocating for a new job", "benign_reason"),
        ("he'll pay for that one day, whatever", "no_context"),
        ("our pharmacology lecture covered the lethal dose of acetaminophen", "topic"),
        ("i'm at the top of the parking garage taking photos of the sunset", "benign_reason"),
        ("i wrote my will after the baby was born", "no_context"),
        ("the cliff i used to think about jumping from is where we hiked today", "past"),
        ("i relapsed on soda again, no more diet coke for me", "no_context"),
        ("i remember when i didn't want to live, now i love my life", "past"),
    ],
)
def test_set_aside_cues_name_their_dampener(text: str, dampener: str) -> None:
    result = assess_rules(text).assessment  # the rules' behaviour, without the learned tier
    assert not result.crisis
    assert any(r.endswith("~" + dampener) for r in result.reasons), result.reasons


def test_reasons_name_rules_and_never_quote_the_message() -> None:
    text = "Honestly, Jordan, I want to kill myself tonight."
    result = assess(text)
    assert result.crisis
    assert "suicide.kill_myself" in result.reasons
    words = {w.strip(",.").lower() for w in text.split()}
    for reason in result.reasons:
        assert all(part not in words for part in reason.replace("~", ".").split("."))


def test_several_categories_in_one_message() -> None:
    result = assess("I'm going to kill him. Then I'll kill myself.")
    assert result.categories == (SUICIDE, OTHERS)


def test_categories_come_from_the_fixed_list() -> None:
    for text, _ in CRISIS:
        assert set(assess(text).categories) <= set(CATEGORIES)


def test_assessment_is_frozen() -> None:
    result = assess("hello")
    assert result == CrisisAssessment(crisis=False, categories=(), reasons=())
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.crisis = True  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("I\u2019M   Gonna", "i'm going to"),
        ("dont cant wont", "don't can't won't"),
        ("kms", "kill myself"),
        ("k1ll", "kill"),
        ("soooo", "so"),
        ("meet at 3pm", "meet at 3pm"),
        ("I feel ill", "i feel ill"),
        ("ill text you", "i'll text you"),
        ("ran 5 kms", "ran 5 km"),
        ("sh again", "self harm again"),
        ("i sh'd", "i self harmed"),
        ("garden shed", "garden shed"),
        ("sh*t", "sh*t"),
        ("i wanna b alone", "i want to be alone"),
        ("want 2 go", "want to go"),
        ("2 yrs ago", "2 years ago"),
        ("w/ my mom", "with my mom"),
        ("i want to dye", "i want to die"),
        ("i want to dye my hair", "i want to dye my hair"),
        ("unalive him", "kill him"),
        ("1111", "1111"),
        ("cant stop thinkin bout endin it", "can't stop thinking about ending it"),
        ("takin my insulin", "taking my insulin"),
        ("its not ok", "it's not ok"),
        ("its battery", "its battery"),
        ("unalive thoughts", "suicidal thoughts"),
        ("shake em", "shake them"),
        ("relapsd last nite", "relapsed last night"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_long_input_is_handled() -> None:
    text = "I had a long day at work and the bus was late. " * 400
    assert not assess(text).crisis
    assert assess(text + " I want to kill myself.").crisis


def test_single_quotes_set_a_quotation_apart() -> None:
    quoted = "my nephew keeps yelling 'i'm going to kill you' at his video game"
    assert not assess_rules(quoted).assessment.crisis
    assert assess("i told my sister 'i want to die' and i meant it").crisis
    assert normalise("my parents' house") == "my parents' house"


def test_a_threat_taken_back_in_the_next_clause_only_counts_for_that_threat() -> None:
    assert not assess_rules("i want to punch my cousin, but i won't").assessment.crisis
    assert assess("i want to punch my cousin, but i won't. i'm going to stab him instead").crisis


def test_the_literal_gates_never_change_a_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rules are skipped when none of their required strings is in the message (for speed);
    trying every rule on every message must give exactly the same answers."""
    texts = [t for t, _ in CRISIS + MORE_CRISIS + FAMILY_CRISIS] + NOT_CRISIS + MORE_NOT_CRISIS
    texts += FAMILY_NOT_CRISIS
    gated = [assess(t) for t in texts]
    assert all(gate is not None for gate in crisis._GATES)
    monkeypatch.setattr(crisis, "_UNGATED", frozenset(range(len(crisis._RULES))))
    assert [assess(t) for t in texts] == gated


@pytest.mark.parametrize(
    "text",
    [
        "1" * 4000,
        "sh " * 1333,
        "i want to die. " * 266,
        "no. " * 1000,
        "i'm not suicidal? " * 222,
        '"a" ' * 1000,
        "'a' " * 1000,
        "if i " * 800,
        "my ex's " * 500,
        "kill my self " * 307,
    ],
)
def test_long_repetitive_input_stays_fast(text: str) -> None:
    start = time.perf_counter()
    assess(text[:4000])
    assert time.perf_counter() - start < 2.0


HARD_NEGATIVES = NOT_CRISIS + MORE_NOT_CRISIS + FAMILY_NOT_CRISIS + SENSITIVE_NOT_CRISIS
# Measured with the shipped model (fourteen training sets and the inbox negatives, C = 30,
# features seen three times, threshold 0.65, scheduling block, short-message gate 8 words; 33
# with the eleven-set model at 0.60, 24 at 0.75 without the inbox negatives, 39 with the
# eight-set model at 0.7; 30 before the rules were widened on the voices and context sets in
# session 11): a ratchet.
# With the meaning tier (session 13, decision 0022): 112. It reads meaning over the rules'
# negation and third-party readings ("I'm not suicidal ... I promise", "my son has been self
# harming"), which is where the rules missed most on unseen crisis text; the words-only
# detector (assess_by_words) still flags 29, held by the test below it.
LEARNED_TIER_HARD_NEGATIVE_ALARMS = 112
WORDS_ONLY_HARD_NEGATIVE_ALARMS = 29


def test_the_learned_tier_flags_few_hard_negatives() -> None:
    """The price of recall (decision 0015, "The learned tier"). The rules flag none of these
    hard negatives; the full detector, recall first, flagged 39 of 657 (threshold 0.7, gate
    8 words). Raising the threshold to 0.96 flagged none of them, but took the mean held-out
    recall of the five selection folds from 0.744 to 0.547 and the fourth set's held-out
    recall from 0.856 to 0.725: a missed crisis is far worse than a false alarm, which sends
    the client crisis resources and the clinician an urgent alert. Retrained on eleven sets
    (C = 30, threshold 0.75, gate 8 words), it flagged 24; with the inbox negatives added to
    its training, 21. With the block for ordinary scheduling (so that no ordinary cancellation
    is flagged) the selection rule picks threshold 0.60 and features seen twice: mean held-out
    recall 0.802 -> 0.834, the fourth set's 0.895 -> 0.922, and 33 of these flagged. Retrained
    on fourteen sets, with the rules widened on the training sets' misses, the rule picks
    threshold 0.65 and features seen three times, and 30 are flagged: the count below is that
    measurement. This ratchet keeps a retrain from flagging more of them; lower it when a
    retrain flags fewer."""
    flagged = [text for text in HARD_NEGATIVES if assess(text).crisis]
    assert len(HARD_NEGATIVES) == 657
    assert len(flagged) <= LEARNED_TIER_HARD_NEGATIVE_ALARMS, "\n".join(flagged)


def test_words_alone_flag_few_hard_negatives() -> None:
    """The rules and the linear tier without the meaning tier: the session-12 ratchet."""
    flagged = [text for text in HARD_NEGATIVES if assess_by_words(text).crisis]
    assert len(flagged) <= WORDS_ONLY_HARD_NEGATIVE_ALARMS, "\n".join(flagged)


# Ordinary short texts of a practice inbox: the learned tier does not run on messages under
# its minimum word count, and the rules must not flag these either.
SHORT_PRACTICE_TEXTS: list[str] = [
    "C",
    "R",
    "Y",
    "N",
    "STOP",
    "yes",
    "no",
    "ok",
    "k",
    "idk",
    "tonight?",
    "tomorrow?",
    "what time?",
    "thanks!",
    "thank you",
    "ok see you then",
    "see you thursday",
    "confirmed",
    "Confirm",
    "yes confirmed for tuesday",
    "I won't be there",
    "i wont be there today",
    "I won't be late for Thursday",  # tests/test_boundaries.py: no reply but the late one
    "I can't make it",
    "can't make it",
    "cant make it tmrw",
    "running late",
    "running 5 min late",
    "I'll be 10 min late",
    "be there in 5",
    "on my way",
    "here",
    "I'm here",
    "im outside",
    "in the lobby",
    "is room 3 free",
    "is room 3 free at 2?",
    "can we reschedule?",
    "need to reschedule",
    "cancel please",
    "please cancel tomorrow",
    "sorry, sick today",
    "sick kid, need to cancel",
    "call me?",
    "call me when you can",
    "got it",
    "sounds good",
    "works for me",
    "perfect, thanks",
    "same time next week?",
    "what's the zoom link",
    "link isn't working",
    "can't log in",
    "paid the invoice",
    "did you get my message?",
    "wrong number sorry",
    "who is this?",
    "new phone, this is Sam",
    "traffic is bad, 15 min",
    "I'm done for today",
    "never mind",
    "all good",
    "bye",
]


@pytest.mark.parametrize("text", SHORT_PRACTICE_TEXTS)
def test_short_practice_texts_are_not_flagged(text: str) -> None:
    result = assess(text)
    assert not result.crisis, result.reasons


# Ordinary cancellations and apologies of a practice inbox, long enough for the learned tier:
# the full detector flags none (condition (f) of the selection rule, decision 0015).
ORDINARY_CANCELLATIONS: list[str] = [
    "Sorry I won't be able to make it to my appointment tomorrow",
    "I won't be able to make it on Thursday, can we reschedule?",
    "I'm sorry I missed today, I wasn't feeling well",
    "I don't think I can make it tomorrow, I'm really sorry",
    "So sorry, I completely forgot about our session this morning",
    "I have to cancel Friday, something came up at work. Sorry for the short notice",
    "Really sorry but I can't come in today, my car broke down",
    "I'm so sorry I didn't show up yesterday, I mixed up the days",
    "Apologies for missing my appointment, can we find another time next week?",
    "I won't make it this afternoon, my son is sick and home from school",
    "Sorry to cancel again, work has been crazy this month",
    "I can't make it to group tonight, I'm stuck at the office",
    "Sorry for the late notice but I need to cancel tomorrow's session",
    "I'm not going to be able to come in on Monday, I'm out of town",
    "I feel bad cancelling again but I have a fever and don't want to spread it",
    "Sorry I missed your call, I was at work. Can I still come in Wednesday?",
    "I won't be able to attend next week because of a family wedding",
    "I'm really sorry, I overslept and missed our appointment",
    "Can we skip this week? I'm sorry, I have too much going on with exams",
]


@pytest.mark.parametrize("text", ORDINARY_CANCELLATIONS)
def test_ordinary_cancellations_are_not_flagged(text: str) -> None:
    result = assess(text)
    assert not result.crisis, result.reasons


@pytest.mark.parametrize(
    ("text", "crisis"),
    [
        ("I don't think I can make it tomorrow, I'm really sorry", False),
        ("not sure i can make it to thursday", False),
        ("I don't think I can make it at 3, can we do 4?", False),
        ("dont think i can make it this week, car's in the shop", False),
        ("I don't think I can make it through tonight", True),
        ("not sure i can make it much longer", True),
        ("i dont think i can make it", True),
    ],
)
def test_cant_make_it_to_a_time_is_scheduling_for_the_rules(text: str, crisis: bool) -> None:
    """'Can't make it' followed by a time, a place or "to" is about an appointment; on its
    own, or "through tonight", it is a sign. (The rules' answer; the learned tier is
    measured on the inbox set.)"""
    assert assess_rules(text).assessment.crisis is crisis, assess_rules(text).assessment


@pytest.mark.parametrize(
    ("text", "crisis"),
    [
        ("Sorry for everything today, I was just really tired and cranky", False),
        ("sorry for everything i said yesterday, i was stressed", False),
        ("so sorry for everything in session, i was in a mood", False),
        ("sorry for everything. today is the day", True),
        ("tell my mom im sorry for everything", True),
        ("sorry for everything", True),
    ],
)
def test_sorry_for_everything_bounded_to_a_day_is_an_apology(text: str, crisis: bool) -> None:
    """'Sorry for everything' is a goodbye cue unless it is bounded to a day or a session in
    the same breath. (The rules' answer.)"""
    assert assess_rules(text).assessment.crisis is crisis, assess_rules(text).assessment


# Rules widened with the terse, means and everyday training sets (decision 0015): kinds of
# phrasing the rules missed or wrongly set aside there. Written for these tests; the training
# sets' own sentences are not copied. Asserted on the rules (assess_rules).
TERSE_AND_MEANS_CRISIS: list[tuple[str, str]] = [
    # A denied ordinary reason is no reason.
    ("bought a rope this morning and it's not for the tent", SUICIDE),
    ("I'm on the overpass and I'm not stuck in traffic", SUICIDE),
    # No trip explains away not being alive.
    ("I won't be alive for my vacation next month", SUICIDE),
    # Self-harm as a habit or a pull is no accident, whatever the room.
    ("I keep cutting in the kitchen when everyone's asleep, it's a relief", SELF_HARM),
    ("fell off the wagon with burning myself, three nights in a row", SELF_HARM),
    # An old scar reopened is not an old scar.
    ("my scars were fading and i cut them open again", SELF_HARM),
    # Pills taken to be numb, "not to die".
    ("took a handful of my sleeping pills, not to die, just to feel nothing", SELF_HARM),
    # "ending things" is not the ending of a show.
    ("its over. ending things tonight", SUICIDE),
    # Terse texts, under the learned tier's word gate.
    ("not safe tonight", SUICIDE),
    ("please call. not safe", SUICIDE),
    ("can't promise i'll stay safe tonight", SUICIDE),
    ("took em all. sorry", SUICIDE),
    ("tonight i end it", SUICIDE),
    ("my plan is ready. tonight", SUICIDE),
    ("engine's running in the garage", SUICIDE),
    ("the blade is next to me", SELF_HARM),
    ("ctb tonight", SUICIDE),
    ("where is the self delete option", SUICIDE),
    ("nobody can stop me this time", SUICIDE),
    ("wanna walk into traffic", SUICIDE),
]

TERSE_AND_MEANS_NOT_CRISIS: list[str] = [
    "bought some rope for the camping trip this weekend",
    "i won't be around next week, on vacation in Spain",
    "cut my finger in the kitchen slicing onions, all fine",
    "the coffee machine died again, bring your own",
    "the furnace died, house is freezing",
    "i'm dead 💀 my cat fell off the couch",
    "cutting it close, 2 min away",
    "my hours got cut so money is tight this month",
    "my old scars have faded a lot this year",
    "threw out my razors last month like we planned",
    "happy to give up my tuesday slot to someone else",
    "so done with this rain",
    "the plan is set for dinner on friday",
    "ctb means can't talk, busy lol",
    "i'm ending things with my girlfriend tonight",
    "took an extra sleeping pill last night, not to die, i just couldn't sleep",
]


def test_stopping_a_medication_is_not_a_denial() -> None:
    """'i stopped taking my heart pills': the rules do not flag it, but it is not set aside as
    negated (nor as history): a missing sign, so the learned tier may read it."""
    outcome = assess_rules("I stopped taking my heart pills last week")
    assert not outcome.assessment.crisis
    assert outcome.dampeners == {"no_context"}
    assert not crisis.learned_tier_blocked("everyday_or_scheduling", outcome)


@pytest.mark.parametrize(
    ("text", "ordinary"),
    [
        ("Need to cancel today, I have a migraine", True),
        ("I'm home with strep, can we do telehealth instead?", True),
        ("Cancel my thursday. there won't be a me by then", False),
        ("cancel my thursday and every thursday after", False),
        # ("please cancel tomorrow, I don't plan on being alive" is now flagged by the rules
        # themselves: VOICES_AND_CONTEXT_CRISIS)
        ("please cancel tomorrow, I'm in a really dark place", False),
    ],
)
def test_a_final_cancellation_is_not_ordinary_scheduling(text: str, ordinary: bool) -> None:
    """Ordinary scheduling (which keeps the learned tier from flagging) names more ordinary
    reasons, and is never a cancellation that is final or carries a risk word."""
    outcome = assess_rules(text)
    assert not outcome.assessment.crisis
    assert crisis.ordinary_scheduling(outcome) is ordinary


# Rules widened with the voices and context training sets (decision 0015): kinds of phrasing the
# rules missed or wrongly flagged there (passive wishes, plans and places, goodbyes, harm to
# others; therapy talk about the past, anniversaries, reported speech, idioms). Written for
# these tests; the training sets' own sentences are not copied. Asserted on the rules.
VOICES_AND_CONTEXT_CRISIS: list[tuple[str, str]] = [
    # Passive death wishes.
    ("I'd not mind if I died in my sleep tonight", SUICIDE),
    ("I keep praying that God takes me soon", SUICIDE),
    ("honestly I hope I have a stroke and it's all over", SUICIDE),
    ("it would be a relief for everyone if I just wasn't here", SUICIDE),
    ("I keep wishing the accident had done its job", SUICIDE),
    ("I stopped eating because I want it to kill me", SUICIDE),
    ("the good news is the new meds work, the bad news is I'd rather stay asleep forever", SUICIDE),
    ("I've been wishing I was dead every day this month", SUICIDE),
    ("i don't want to be alive no more", SUICIDE),
    ("I honestly don't see the point anymore", SUICIDE),
    ("I can't find a reason to keep waking up", SUICIDE),
    ("it's time I joined my late wife", SUICIDE),
    ("ready to go and be with my dad in heaven", SUICIDE),
    # Not expecting to be alive, and a final arrangement that undoes an ordinary reason.
    ("I'm not planning on being alive by Christmas", SUICIDE),
    ("I do not anticipate being alive next month", SUICIDE),
    ("please cancel tomorrow, I don't plan on being alive", SUICIDE),
    ("made my brother the kids' guardian in my will, I won't be around for them", SUICIDE),
    ("my kids will be fine with the life insurance money", SUICIDE),
    # Non-native and voice-to-text wording.
    ("I have decided to finish with my life", SUICIDE),
    ("i want to kill me, i can't anymore", SUICIDE),
    ("the tablets are enough to finish myself", SUICIDE),
    ("I'm gonna and my life tonight", SUICIDE),
    # Plans, means and places.
    ("stockpiled my quetiapine, enough to take all together", SUICIDE),
    ("been wondering whether hanging would hurt", SUICIDE),
    ("sitting on the pier thinking about walking in and never coming back out", SUICIDE),
    ("got the hosepipe in my car", SUICIDE),
    ("my belt is tied to the wardrobe rail", SUICIDE),
    ("cleaning the rifle and thinking about putting the barrel under my chin", SUICIDE),
    ("took my hands off the wheel on the motorway this morning", SUICIDE),
    ("I'll drive to the multistorey car park and jump", SUICIDE),
    ("I'm walking along the bridge railings right now", SUICIDE),
    ("I'm on the bridge and I'm not leaving until I've done it", SUICIDE),
    ("picked saturday to take them, the pills are in my drawer", SUICIDE),
    # Goodbyes.
    ("thank you for everything. won't see you again", SUICIDE),
    ("This is my final correspondence; please do not blame yourself for my death", SUICIDE),
    ("make sure my mum isn't the one to find my body", SUICIDE),
    # Self-harm said as a relapse, a habit or an act.
    ("relapsed and burned myself with the iron so nobody would see the marks", SELF_HARM),
    ("I hurt me again with the blade, I can't stop", SELF_HARM),
    ("struck myself with a belt until I bruised", SELF_HARM),
    ("I'm going to use the lighter on my arm tonight", SELF_HARM),
    ("been cutting since dinner and it won't stop bleeding", SELF_HARM),
    # Harm to others.
    ("the urge to shake the baby won't go away", OTHERS),
    ("I held the pillow over his face for a few seconds last night", OTHERS),
    ("the antifreeze is ready for his tea", OTHERS),
    ("I've been thinking seriously about running my stepdad over", OTHERS),
    ("I'm going to make him bleed for this", OTHERS),
    ("I almost pushed my flatmate down the stairs today", OTHERS),
    # A reassurance taken half back is no retraction.
    ("I want to stab him. I'm not going to. Probably.", OTHERS),
]

VOICES_AND_CONTEXT_NOT_CRISIS: list[str] = [
    # Anniversaries and therapy talk about how it began.
    "Two years ago this week I tried to kill myself. This week I started a new job.",
    "around this time last year I wanted to die and this year I'm getting married",
    "When I first came to you I was cutting most nights. I haven't in a year.",
    "The suicidal thoughts I came in with have gone.",
    "I'm a survivor of a suicide attempt and I'm training to be a peer supporter",
    "I found my old suicide note in a drawer and threw it away",
    "Five years since I put a gun to my head, and life is good now",
    "This week marks a year since my last suicidal thought",
    "First time I cut myself I was 14, last time was 19, I'm 30 now",
    "In January I was googling ways to die. Now I'm planning my wedding.",
    "I told you I'd been thinking about killing my brother back when I first came in",
    "returning client here, I had suicidal episodes in 2017",
    # Idioms and jokes.
    "my old scars itch in the cold",
    "I'm going to die of old age in this queue",
    "I sound like death warmed up today",
    "my dog has a death wish, he ate a sock",
    "death by paperwork this week",
    "we're dead set on moving in spring",
    "in the play I have to pretend to stab myself",
    "what she said cut so deep",
    "I'm bleeding money on parking",
    "my legs are dead after leg day",
    "my umbrella died in the wind",
    "I want to die. Joke. Can we move Friday?",
    "that sounds odd but I bought razors for shaving",
    # Negation over a list, someone else, reported speech.
    "In answer to the form: no thoughts of self-harm or suicide",
    "my nephew said he thought about jumping off the roof, he's getting help now",
    "someone in group described the urge to cut as an itch",
    "my sister had thoughts of hurting her baby when she had postnatal OCD",
    "my buddy posted a goodbye online and we got him help",
    "I read the chapter where she jumps under the train and cried",
    "I went back to the bridge today. Not for that reason.",
    # Ordinary endings, disposal, grief.
    "I'm ready to stop our sessions. Thank you for all your help.",
    "Saving my old prescription bottles for the take-back day",
    "I wrote letters to my late husband like you suggested",
]


# The kinds of phrasing the rules were widened on with the training sets (terse and means in
# session 10, voices and context in session 11), asserted on the rules alone.
@pytest.mark.parametrize(("text", "category"), TERSE_AND_MEANS_CRISIS + VOICES_AND_CONTEXT_CRISIS)
def test_phrasings_the_rules_were_widened_on_are_flagged(text: str, category: str) -> None:
    result = assess_rules(text).assessment
    assert result.crisis, (text, result.reasons)
    assert category in result.categories, (text, result)


@pytest.mark.parametrize("text", TERSE_AND_MEANS_NOT_CRISIS + VOICES_AND_CONTEXT_NOT_CRISIS)
def test_their_everyday_twins_are_not_flagged_by_the_rules(text: str) -> None:
    result = assess_rules(text).assessment
    assert not result.crisis, (text, result.reasons)


@pytest.mark.parametrize(
    ("text", "crisis_now"),
    [
        # Old scars acted on are new harm, whatever their benign reading alone.
        ("so proud of 90 days but tonight I cut into my old scars again", True),
        ("ripped open the faded scars on my wrist after the call", True),
        ("last week I picked at the old scars till they bled and I can't stop", True),
        # Old scars as such: recovery, a memory.
        ("my old scars are barely visible now, summer in t-shirts again", False),
        ("the faint scars on my arm remind me how far I've come", False),
    ],
)
def test_old_scars_acted_on_are_not_recovery(text: str, crisis_now: bool) -> None:
    result = assess_rules(text).assessment
    assert result.crisis is crisis_now, (text, result.reasons)


@pytest.mark.parametrize(
    "text", ["gonna kil myslf tonite", "i want to hurt msyelf so bad rn", "i wnt to kill mysef"]
)
def test_misspelled_myself_is_read_as_myself(text: str) -> None:
    assert assess_rules(text).assessment.crisis, text


@pytest.mark.parametrize(
    ("text", "crisis_now"),
    [
        # Means thrown away and bought anew: the past reading does not stand.
        ("I got rid of my razors last year. bought a new pack tonight and used one", True),
        ("threw out my blades months ago but i bought more today", True),
        ("i tossed all my blades in the summer. got new ones this week and i've used them", True),
        # A streak that ended.
        ("I hadn't cut since last summer but I did it tonight", True),
        ("i hadnt hurt myself in two years until yesterday", True),
        ("I hadn't cut in a year and then last night happened", True),
        # Thoughts that used to be only thoughts.
        (
            "the thoughts of hurting my son used to just be flashes, now they stay for hours "
            "and i'm scared",
            True,
        ),
        ("the urge to jump used to be fleeting. now i find myself at the window every night", True),
        # The same shapes, where what follows is better or nothing came back.
        ("I haven't cut since June and I'm proud of that", False),
        ("I haven't cut since June but today I went for a walk", False),
        ("i used to think about dying all the time, now i just feel tired sometimes", False),
        ("the thoughts used to be just flashes, now they're rare and manageable", False),
        ("intrusive thoughts about hurting my baby used to be constant. now they're gone", False),
        ("i threw out my pills and got new ones from the pharmacy, the old ones expired", False),
        ("i hadn't been to the gym in months until today, feels good", False),
    ],
)
def test_what_comes_back_or_grows_is_not_the_past(text: str, crisis_now: bool) -> None:
    """Escalation (decision 0015, "Escalation"): a cue set aside as past, denied or everyday
    stands again when the message says it came back or grew."""
    outcome = assess_rules(text)
    assert outcome.assessment.crisis is crisis_now, (text, outcome.assessment.reasons)
    if crisis_now:
        assert any(r.endswith("+escalation") for r in outcome.assessment.reasons)


@pytest.mark.parametrize(
    ("text", "crisis_now"),
    [
        ("are my pills ready for pickup?", False),
        ("my pills are ready for pick up, thanks", False),
        ("my meds ready to be picked up?", False),
        ("the pills are ready. tonight", True),
        ("pills are lined up", True),
    ],
)
def test_a_pharmacys_ready_for_pickup_is_no_plan(text: str, crisis_now: bool) -> None:
    result = assess_rules(text).assessment
    assert result.crisis is crisis_now, (text, result.reasons)


@pytest.mark.parametrize(
    ("text", "crisis_now"),
    [
        # Wanting to is no mishap, whatever the household object.
        ("I want to burn myself with the curling iron so bad right now", True),
        ("I burned myself on the iron this morning, ouch", False),
        # A streak that ended, the habit gone back to.
        ("six months clean and last night I cut again", True),
        (
            "two years clean and tonight I hurt myself with a steak knife. scared how easy it was",
            True,
        ),
        ("broke my self harm streak yesterday", True),
        ("i stopped for a while but i went back to the blades", True),
        ("6 months clean and today I finally got my chip", False),
        ("broke my running streak yesterday", False),
        # A streak kept.
        ("it's been 200 days since i self harmed", False),
        ("Been 300 days since I cut. feeling good", False),
        ("3 days since i cut and the urges are bad tonight", True),
        # Survival as a condition; the same words about an office or a trip.
        ("can we push my appointment to thursday? if I'm still here by then", True),
        ("see you monday if I'm still alive", True),
        ("if I'm still here at 5 I'll call you from the office", False),
        ("if i'm still around next week let's grab coffee", False),
        ("if i'm still alive after this exam lol", False),
        # Affairs in order; non-native "thinking to".
        ("I'm getting my affairs in order and I won't be needing appointments after this", True),
        ("I keep thinking to jump from my balcony", True),
        ("the pills are in my drawer and i know what they're for", True),
        # Everyday words.
        ("I bombed the audition, totally died up there", False),
        ("last session next week, I want to end it on a good note", False),
        ("the tablets are too big, can I cut them in half?", False),
        ("I finally beat the final boss last night", False),
        ("my son has been self harming and I don't know what to do", False),
    ],
)
def test_shapes_the_ninth_set_taught(text: str, crisis_now: bool) -> None:
    """Session 12, from the ninth blind set's misses and false alarms (decision 0015), in new
    words, with their everyday twins. (What words decide: the meaning tier flags two of the
    twins, decision 0022.)"""
    result = assess_by_words(text)
    assert result.crisis is crisis_now, (text, result.reasons)
